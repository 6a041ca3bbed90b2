"""``llm-agent collect`` (a local OTLP/HTTP receiver) and ``llm-agent import`` (OTLP files) into the sink.

Both decode with the official ``opentelemetry-proto`` package (``pip install 'llm-agent[collect]'``)
into SDK spans that go through the sink's own pipeline, so every dialect's normalisation applies
to them as to spans made in the app's process.  docs/collect.md describes both commands.
"""
