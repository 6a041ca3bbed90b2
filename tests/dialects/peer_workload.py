"""The same multi-session workload under llm_agent or under a peer instrumentation, against a
local OpenAI-compatible server (llm_agent._demo.server, seeded: the same replies every run).

    python peer_workload.py llm_agent SINK_PATH
    python peer_workload.py openinference|openllmetry|otel_v2|genai_openai OTLP_TRACES_URL

Each peer's spans go out through the standard OTLP/HTTP exporter; session and user IDs are set
the way that peer's users set them: OpenInference's ``using_session``/``using_user``; OpenLLMetry's
association properties (what traceloop-sdk's ``set_association_properties`` stamps on every span,
done here by the same kind of span processor); for the official OpenTelemetry instrumentations,
which have no session notion, ``session.id``/``user.id`` on the app's own span around each turn.
"""

from __future__ import annotations

import contextlib
import contextvars
import sys
from collections.abc import Iterator
from typing import Any

SESSIONS = (("s-alice", "alice"), ("s-bob", "bob"), ("s-carol", "carol"))
TURNS = 2


def calls(client: Any) -> None:
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Where is my order?"}])
    stream = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Explain the latency."}], stream=True,
        stream_options={"include_usage": True},
    )  # fmt: skip
    for _ in stream:
        pass
    client.embeddings.create(model="text-embedding-3-small", input="order status")


_association: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("association", default=None)


def association_processor() -> Any:
    """traceloop-sdk's association properties: stamped on every span started in the context."""
    from opentelemetry.sdk.trace import SpanProcessor

    class AssociationProcessor(SpanProcessor):
        def on_start(self, span: Any, parent_context: Any = None) -> None:
            for key, value in (_association.get() or {}).items():
                span.set_attribute(f"traceloop.association.properties.{key}", value)

    return AssociationProcessor()


def main(mode: str, target: str) -> None:
    import openai

    from llm_agent._demo.server import DemoServer

    if mode == "llm_agent":
        import llm_agent

        llm_agent.init(backends=["sqlite"], sink_path=target, instrument=["openai"], service_name="workload")

        @contextlib.contextmanager
        def turn(sid: str, uid: str, n: int) -> Iterator[None]:
            with llm_agent.session(sid, user_id=uid), llm_agent.trace(f"turn-{n}"):
                yield

        finish = llm_agent.shutdown
    else:
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider = TracerProvider(resource=Resource.create({"service.name": "workload"}))
        if mode == "openllmetry":
            provider.add_span_processor(association_processor())
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=target)))
        trace.set_tracer_provider(provider)
        tracer = trace.get_tracer("workload")
        if mode == "openinference":
            from openinference.instrumentation import using_session, using_user
            from openinference.instrumentation.openai import OpenAIInstrumentor
        elif mode == "openllmetry":
            from opentelemetry.instrumentation.openai import OpenAIInstrumentor  # type: ignore[no-redef]
        elif mode == "otel_v2":
            from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor  # type: ignore[no-redef]
        else:
            from opentelemetry.instrumentation.genai.openai import OpenAIInstrumentor  # type: ignore[no-redef]
        OpenAIInstrumentor().instrument(tracer_provider=provider)

        @contextlib.contextmanager
        def turn(sid: str, uid: str, n: int) -> Iterator[None]:
            if mode == "openinference":
                with using_session(sid), using_user(uid), tracer.start_as_current_span(f"turn-{n}"):
                    yield
            elif mode == "openllmetry":
                token = _association.set({"session_id": sid, "user_id": uid})
                try:
                    with tracer.start_as_current_span(f"turn-{n}", attributes={"traceloop.span.kind": "workflow"}):
                        yield
                finally:
                    _association.reset(token)
            else:
                with tracer.start_as_current_span(f"turn-{n}", attributes={"session.id": sid, "user.id": uid}):
                    yield

        def finish() -> None:
            provider.shutdown()

    with DemoServer(latency_scale=0.0) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="demo", max_retries=0)
        for sid, uid in SESSIONS:
            for n in range(1, TURNS + 1):
                with turn(sid, uid, n):
                    calls(client)
    finish()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
