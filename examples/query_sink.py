"""Query the local sink from Python: sessions, one session's traces, a trace tree, models, users.

    python examples/query_sink.py                      # the default sink (run `llm-agent demo` first)
    python examples/query_sink.py --offline            # fills a temporary sink with the demo first

With pandas installed (pip install 'llm-agent[pandas]') the sessions also become a DataFrame.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from _offline import parser

import llm_agent.analysis


def report(db: str | None) -> None:
    with llm_agent.analysis.open(db) as store:
        sessions = store.sessions(since="7d", min_traces=2, order_by="-total_tokens", limit=5)
        print("busiest multi-turn sessions of the last 7 days:")
        for s in sessions:
            print(f"  {s.session_id:18} {','.join(s.users):8} {s.traces:2} turns {s.total_tokens:6} tokens "
                  f"{s.duration_s:6.2f}s {s.errors} errors")  # fmt: skip
        failed = store.sessions(since="7d", where="errors > 0 and total_tokens >= 1000", limit=3)
        print(f"sessions with errors and 1000+ tokens: {[s.session_id for s in failed]}")
        if sessions:
            detail = store.session(sessions[0].session_id)
            print(f"\nturns of {detail.summary.session_id}:")
            for t in detail.traces:
                print(f"  {t.name or t.trace_id:24} {t.duration_s:6.3f}s {t.llm_calls} LLM calls")
            tree = store.trace(detail.traces[0].trace_id)
            print(f"\nspans of its first trace: {[(s.name, s.depth) for s in tree.spans]}")
        print("\nmodels:")
        for m in store.models(since="7d"):
            print(f"  {m.model:24} {m.requests:4} calls  p50 {m.latency_p50_s or 0:.3f}s  errors {m.error_rate:.1%}")
        print(f"\nusers: {[(u.user_id, u.sessions) for u in store.users(since='7d')]}")
        try:
            import pandas as pd
        except ImportError:
            print("(pip install pandas to get a DataFrame)")
        else:
            frame = pd.DataFrame([s.to_dict() for s in store.sessions(since="7d", limit=1000)])
            print(f"\nDataFrame: {frame.shape[0]} sessions, mean tokens {frame['total_tokens'].mean():.0f}")


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--db", help="the sink file (default: LLM_AGENT_SINK_PATH or ~/.llm_agent/sink.sqlite)")
    args = p.parse_args()
    if not args.offline:
        report(args.db)
        return
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "sink.sqlite")
        subprocess.run([sys.executable, "-m", "llm_agent.cli", "demo", "--db", db, "--sessions", "10", "--seed", "7"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        report(db)


if __name__ == "__main__":
    main()
