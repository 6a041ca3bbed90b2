"""The ``collect`` and ``import`` commands (and ``ui --collect``), registered by ``llm_agent.cli``."""

from __future__ import annotations

import argparse
import errno
import sys
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("collect", help="receive OTLP/HTTP traces from any app into the sink")
    p.add_argument("--db", help="the sink file (default: LLM_AGENT_SINK_PATH or ~/.llm_agent/sink.sqlite)")
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=4318, help="port to listen on (default 4318)")
    p = sub.add_parser("import", help="load OTLP JSON / protobuf trace files (optionally gzip) into the sink")
    p.add_argument("--db", help="the sink file (default: LLM_AGENT_SINK_PATH or ~/.llm_agent/sink.sqlite)")
    p.add_argument("files", nargs="+", metavar="FILE")


def _say(message: str) -> None:
    print(f"llm-agent: {message}", file=sys.stderr)


def _bind_message(exc: OSError, host: str, port: int) -> str:
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is in use (another receiver, an OpenTelemetry Collector?): try --port"
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"


def run(args: argparse.Namespace) -> int:
    from llm_agent._collect import _decode

    if not _decode.available():
        _say(_decode.INSTALL_HINT)
        return EXIT_FAILED
    if args.command == "collect":
        from llm_agent._collect import _server

        try:
            return _server.serve(args.db, args.host, args.port)
        except OSError as exc:
            _say(_bind_message(exc, args.host, args.port))
            return EXIT_FAILED
    from llm_agent._collect import _import

    try:
        result, sink = _import.run(list(args.files), args.db)
    except FileNotFoundError as exc:
        _say(str(exc))
        return EXIT_FAILED
    for line in result.skipped:
        print(line, file=sys.stderr)
    rejected = f", {result.rejected} rejected (no valid IDs)" if result.rejected else ""
    skipped = f", {len(result.skipped)} skipped" if result.skipped else ""
    print(f"imported {result.spans} spans from {result.files} file(s) into {sink}{rejected}{skipped}")
    return EXIT_FAILED if result.skipped or result.rejected else EXIT_OK


def start_beside_ui(db: str | None, host: str = "127.0.0.1", port: int = 4318) -> Any:
    """``ui --collect``: the receiver on its own threads; returns the server (stop with ``stop``)."""
    from llm_agent._collect import _decode, _server

    if not _decode.available():
        raise RuntimeError(_decode.INSTALL_HINT)
    try:
        server, _ = _server.start(db, host, port)
    except OSError as exc:
        raise RuntimeError(_bind_message(exc, host, port)) from None
    print(f"llm-agent collect: receiving OTLP/HTTP at {server.endpoint}/v1/traces", file=sys.stderr, flush=True)
    return server


def stop(server: Any) -> None:
    from llm_agent._collect import _server

    _server.stop(server)
