"""A custom backend: send spans anywhere by implementing three methods.

    python examples/custom_backend.py --offline

``Backend`` (llm_agent.backends) is a protocol: ``export(records)``, ``flush(timeout_s)`` and
``shutdown(timeout_s)``.  ``export`` runs on the backend's own worker thread with batches of
``SpanRecord`` (plain data: ids, times, session, user, model, tokens, attributes).  Pass an
instance to ``init(backends=[...])``, register a name with ``register_backend``, or publish it
from a package under the entry-point group ``llm_agent.backends``:

    [project.entry-points."llm_agent.backends"]
    cost = "my_package.backends:CostBackend.from_settings"
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Sequence

from _offline import openai_client, parser

import llm_agent
from llm_agent.backends import ExportResult, SpanRecord, register_backend

#: USD per million tokens (input, output); illustrative prices.
PRICES = {"gpt-4o": (2.50, 10.00), "gpt-4o-mini": (0.15, 0.60)}


class CostBackend:
    """Adds up the cost of every session (a real one might write to a database or a queue)."""

    def __init__(self) -> None:
        self.cost_by_session: dict[str, float] = collections.defaultdict(float)
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings) -> CostBackend:  # the factory signature entry points use
        return cls()

    def export(self, records: Sequence[SpanRecord]) -> ExportResult:
        with self._lock:
            for r in records:
                price = PRICES.get(r.request_model or "")
                if price and r.input_tokens is not None and r.output_tokens is not None:
                    cost = (r.input_tokens * price[0] + r.output_tokens * price[1]) / 1e6
                    self.cost_by_session[r.session_id or "(none)"] += cost
        return ExportResult.SUCCESS

    def flush(self, timeout_s: float) -> bool:
        return True

    def shutdown(self, timeout_s: float) -> None:
        pass


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    costs = CostBackend()
    register_backend("cost", CostBackend.from_settings)  # now LLM_AGENT_BACKENDS=sqlite,cost works too
    llm_agent.init(service_name="custom-backend-example", backends=["sqlite", costs])
    with openai_client(args.offline) as client:
        for session_id, model in (("cost-a", "gpt-4o"), ("cost-b", "gpt-4o-mini")):
            with llm_agent.session(session_id, user_id="frank"):
                for question in ("Plan a three-day trip to Lisbon.", "Make it cheaper."):
                    client.chat.completions.create(model=model, messages=[{"role": "user", "content": question}])
    llm_agent.shutdown()  # flushes every backend
    for session_id, cost in sorted(costs.cost_by_session.items()):
        print(f"{session_id}: ${cost:.6f}")


if __name__ == "__main__":
    main()
