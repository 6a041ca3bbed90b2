"""The ``llm-agent`` command: session, trace, model and user analysis of the local sink.

    llm-agent sessions --since 7d --user alice --min-duration 30s --sort -total_tokens
    llm-agent sessions --where "duration_s > 30 and (user == 'alice' or user == 'bob')" --format csv > s.csv
    llm-agent traces --where "session_id is null"      (every trace, with or without a session)
    llm-agent session SESSION_ID          llm-agent trace TRACE_ID
    llm-agent models --since 24h          llm-agent model gpt-4o --since 7d --bucket 1h
    llm-agent users                       llm-agent prune --older-than 30d
    llm-agent ui                          llm-agent demo

Exit codes: 0 success (also for an empty result), 1 missing or unreadable database, unknown ID, a
port or address the page cannot listen on; 2 bad usage (also a number or time out of range).
Every error is one line on stderr, never a traceback.  Tables fit the terminal, with every control
character in recorded data shown escaped (``\x1b``); ``--format json|csv`` streams every row (no
default limit) for export.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TextIO

from llm_agent import _cli_traces, analysis
from llm_agent import _terminal as _text
from llm_agent.analysis import (
    DEFAULT_SLOW_THRESHOLD_S,
    FILTER_FIELDS,
    FilterError,
    SpanNode,
    Store,
    TraceTree,
    default_path,
    display_location,
    parse_duration,
    to_csv,
    to_json,
)

EXIT_OK = 0
EXIT_NOT_FOUND = 1
EXIT_USAGE = 2

_FILTER_FLAGS = (
    # flag, store keyword, parser, help
    ("--min-duration", "min_duration_s", parse_duration, "sessions lasting at least this (5s, 2m, 1h)"),
    ("--max-duration", "max_duration_s", parse_duration, "sessions lasting at most this"),
    ("--min-traces", "min_traces", int, "at least this many traces (requests)"),
    ("--max-traces", "max_traces", int, "at most this many traces"),
    ("--min-tokens", "min_total_tokens", int, "at least this many total tokens"),
    ("--max-tokens", "max_total_tokens", int, "at most this many total tokens"),
    ("--min-input-tokens", "min_input_tokens", int, "at least this many input tokens"),
    ("--max-input-tokens", "max_input_tokens", int, "at most this many input tokens"),
    ("--min-output-tokens", "min_output_tokens", int, "at least this many output tokens"),
    ("--max-output-tokens", "max_output_tokens", int, "at most this many output tokens"),
    ("--min-cost", "min_cost", float, "cost at least this many USD (sessions with a priced call)"),
    ("--max-cost", "max_cost", float, "cost at most this many USD"),
)


def _fields_doc() -> str:
    """``name (type)`` for every field of the filter language, for the help text."""
    return ", ".join(f"{name} ({ftype})" for name, ftype in FILTER_FIELDS.items())


def _duration_arg(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _typed(parse: Any) -> Any:
    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc) or f"invalid value {text!r}") from None

    convert.__name__ = getattr(parse, "__name__", "value")
    return convert


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="llm-agent", description="Analyse the LLM calls recorded by llm_agent (sessions, traces, models, users)."
    )
    parser.add_argument("--db", dest="top_db", help="the sink file (also accepted after the command)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="the sink file (default: LLM_AGENT_SINK_PATH or ~/.llm_agent/sink.sqlite)")
    common.add_argument("--format", choices=("table", "json", "csv"), default="table", help="output format")
    window = argparse.ArgumentParser(add_help=False)
    window.add_argument("--since", help="start of the window: ISO 8601 (offsets honoured, none = UTC) or 15m/1h/7d")
    window.add_argument("--until", help="end of the window (default: now)")

    p = sub.add_parser("sessions", parents=[common, window], help="list sessions overlapping the window")
    p.add_argument("--session", dest="session_id", help="this session ID only")
    p.add_argument("--user", help="sessions this user took part in")
    for flag, dest, parse, text in _FILTER_FLAGS:
        p.add_argument(flag, dest=dest, type=_typed(parse), help=text)
    p.add_argument(
        "--where", help=f"filter expression, e.g. \"duration_s > 30 and user == 'alice'\"; fields: {_fields_doc()}"
    )
    p.add_argument("--sort", default="-start", help="column, '-' prefix for descending (default -start)")
    p.add_argument("--limit", type=_typed(int), help="rows to show (default 50 for tables, all for json/csv)")
    p.add_argument("--offset", type=_typed(int), default=0)

    _cli_traces.add_parser(sub, [common, window], _typed)
    p = sub.add_parser("session", parents=[common], help="one session and its traces")
    p.add_argument("id")
    p = sub.add_parser("trace", parents=[common], help="one trace as a span tree with a waterfall")
    p.add_argument("id")
    sub.add_parser("models", parents=[common, window], help="every model called in the window")
    p = sub.add_parser("model", parents=[common, window], help="one model: latency, TTFT, errors, time series")
    p.add_argument("name")
    p.add_argument("--bucket", default="auto", help="time-series bucket: auto, 1m, 5m, 15m, 1h, 6h, 1d")
    p.add_argument("--slow-threshold", type=_duration_arg, default=DEFAULT_SLOW_THRESHOLD_S,
                   help=f"calls longer than this are slow (default {DEFAULT_SLOW_THRESHOLD_S:g}s)")  # fmt: skip
    sub.add_parser("users", parents=[common, window], help="per-user activity in the window")

    p = sub.add_parser("prune", help="delete traces older than a given age from the sink")
    p.add_argument("--db")
    p.add_argument("--older-than", required=True, type=_duration_arg, help="age, e.g. 30d")
    p = sub.add_parser("reprice", help="recompute the stored USD costs (after a genai-prices upgrade or new prices)")
    p.add_argument("--db")
    p.add_argument("--since", type=_duration_arg, help="only calls of this recent past, e.g. 30d (default: all)")
    p.add_argument("--prices", help="price overrides: a JSON or TOML file (default: LLM_AGENT_PRICES)")
    p = sub.add_parser("ui", help="open the local web page")
    p.add_argument("--db")
    p.add_argument("--host", help="interface to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=_typed(int), help="port to listen on")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--collect", action="store_true", help="also receive OTLP/HTTP traces (llm-agent collect)")
    p = sub.add_parser("demo", help="record a demo session into a sink (no API key needed)")
    p.add_argument("args", nargs=argparse.REMAINDER)
    from llm_agent._collect import cli as collect_cli

    collect_cli.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    top = argv[:2] if argv[:1] == ["--db"] else []
    if argv[len(top) : len(top) + 1] == ["demo"] and "-h" not in argv[: len(top)]:
        # The demo parses its own options: argparse's REMAINDER cannot pass on a leading "--db".
        return _demo([*top, *argv[len(top) + 1 :]])
    args = build_parser().parse_args(argv)
    out = sys.stdout
    if hasattr(out, "reconfigure"):
        try:  # a terminal that cannot show the waterfall's block characters gets '?' instead of a crash
            out.reconfigure(errors="replace")
        except (ValueError, OSError):
            pass
    try:
        return _run(args, out)
    except FileNotFoundError as exc:
        return _fail(str(exc), EXIT_NOT_FOUND)
    except FilterError as exc:
        return _fail(f"bad --where expression: {exc}", EXIT_USAGE)
    except (ValueError, OverflowError) as exc:  # OverflowError: a bound we missed is still usage
        return _fail(str(exc), EXIT_USAGE)
    except BrokenPipeError:  # `llm-agent sessions | head`: stop quietly, also at interpreter exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except ImportError as exc:  # an optional driver (ClickHouse) that is not installed
        return _fail(str(exc), EXIT_NOT_FOUND)
    except (OSError, sqlite3.Error) as exc:  # a directory, /proc/self/mem, a server that is down
        return _fail(f"cannot read {_where(args)}: {exc}", EXIT_NOT_FOUND)


def _fail(message: str, code: int) -> int:
    """One line (more for a filter's caret) on stderr, control characters shown escaped."""
    lines = message.split("\n")
    print("\n".join(_text.visible(f"llm-agent: {lines[0]}" if i == 0 else line) for i, line in enumerate(lines)),
          file=sys.stderr)  # fmt: skip
    return code


def _where(args: argparse.Namespace) -> str:
    db = getattr(args, "db", None) or getattr(args, "top_db", None)
    return display_location(db or default_path())


def _run(args: argparse.Namespace, out: TextIO) -> int:
    if getattr(args, "db", None) is None:
        args.db = args.top_db
    if args.command == "demo":
        return _demo(list(args.args))
    if args.command in ("collect", "import"):
        from llm_agent._collect import cli as collect_cli

        return collect_cli.run(args)
    if args.command == "ui":
        ui = _optional("llm_agent.ui", "ui")

        kwargs: dict[str, Any] = {"db": args.db, "open_browser": not args.no_browser}
        if args.host is not None:
            kwargs["host"] = args.host
            kwargs["host_explicit"] = True  # the user asked for this interface (it may not be loopback)
        if args.port is not None:
            kwargs["port"] = args.port
        receiver = None
        if args.collect:  # one process: the receiver fills the sink the page reads
            from llm_agent._collect import cli as collect_cli

            try:
                receiver = collect_cli.start_beside_ui(args.db)
            except RuntimeError as exc:
                return _fail(str(exc), EXIT_NOT_FOUND)
        try:
            return int(ui.serve(**kwargs) or 0)
        except OSError as exc:  # an address not of this machine, a port taken
            return _fail(exc.strerror or str(exc), EXIT_NOT_FOUND)
        finally:
            if receiver is not None:
                collect_cli.stop(receiver)
    if args.command == "prune":
        from llm_agent.backends.sqlite import prune

        path = args.db or default_path()
        if not os.path.exists(path):
            raise FileNotFoundError(f"no llm_agent sink at {path!r}")
        deleted = prune(path, args.older_than)
        print(f"deleted {deleted} spans older than {args.older_than:g}s from {path}", file=out)
        return EXIT_OK

    if args.command == "reprice":
        return _reprice(args, out)

    with analysis.open(args.db) as store:
        handler = _HANDLERS[args.command]
        code = handler(store, args, out)
    if args.command != "trace" and not analysis.pricing_available():
        print(f"llm-agent: {analysis.PRICING_HINT}", file=sys.stderr)  # said once per command
    return code


def _reprice(args: argparse.Namespace, out: TextIO) -> int:
    from llm_agent.backends.sqlite import reprice

    path = args.db or default_path()
    if not os.path.exists(path):
        raise FileNotFoundError(f"no llm_agent sink at {path!r}")
    prices = args.prices if args.prices is not None else os.environ.get("LLM_AGENT_PRICES")
    if not analysis.pricing_available() and not prices:
        return _fail(analysis.PRICING_HINT, EXIT_USAGE)
    bar = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if bar:
            print(f"\rrepricing: {done}/{total} calls", end="", file=sys.stderr, flush=True)

    count = reprice(path, since_s=args.since, prices=prices, progress=progress)
    if bar:
        print(file=sys.stderr)
    print(f"repriced {count} spans with usage in {path}", file=out)
    return EXIT_OK


def _cost(cost: float | None, unpriced: int) -> str | None:
    """A cost cell: "$0.0123", "$0.0123 +2 unpriced", or "? (3 unpriced)" when nothing was priced."""
    if cost is None:
        return f"? ({unpriced} unpriced)" if unpriced else None
    text = f"${cost:.4f}" if cost < 100 else f"${cost:,.2f}"
    return f"{text} +{unpriced} unpriced" if unpriced else text


def _optional(module: str, command: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is None or not (module == exc.name or module.startswith(exc.name + ".")):
            raise
        raise FileNotFoundError(
            f"'llm-agent {command}' is not part of this installation ({module} is missing)"
        ) from None


def _demo(argv: list[str]) -> int:
    """``llm-agent demo``: record the workload (``_demo.run``), then report on this run from the sink."""
    try:
        run = _optional("llm_agent._demo.run", "demo")
    except FileNotFoundError as exc:
        print(f"llm-agent: {exc}", file=sys.stderr)
        return EXIT_NOT_FOUND
    try:
        recorded = run.record(argv)
    except run.DemoUsageError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    return _demo_report(recorded.db, recorded.started, recorded.longest_session_id, recorded.agents_sdk_session_id)


def _demo_report(db: str, started: datetime, longest_session_id: str, agents_sdk_session_id: str | None = None) -> int:
    """This run's sessions and models, as ``llm-agent sessions`` and ``models`` print them, and what to try next."""
    db_flag = "" if os.path.abspath(db) == os.path.abspath(default_path()) else f" --db {_quote(db)}"
    since = started.replace(microsecond=0).isoformat()
    print("Sessions of this run, most tokens first (llm-agent sessions):")
    sys.stdout.flush()
    code = main(["sessions", "--db", db, "--since", since, "--sort=-total_tokens", "--limit", "10"])
    print("\nModels (llm-agent models):")
    sys.stdout.flush()
    code = code or main(["models", "--db", db, "--since", since])
    steps = [
        (f"llm-agent sessions{db_flag} --min-tokens 3000", "sessions that used 3000+ tokens"),
        (f'llm-agent sessions{db_flag} --where "errors > 0"', "sessions with a failed call"),
        (f"llm-agent session {longest_session_id}{db_flag}", "one conversation, turn by turn, as a transcript"),
        *(
            [(f"llm-agent session {agents_sdk_session_id}{db_flag}", "an OpenAI Agents SDK conversation")]
            if agents_sdk_session_id
            else []
        ),
        (f"llm-agent model gpt-4o{db_flag}", "latency, TTFT, errors and tokens over time"),
        (f"llm-agent ui{db_flag}", "all of it in your browser"),
    ]
    width = max(len(cmd) for cmd, _ in steps) + 3
    print("\nNext:")
    for cmd, what in steps:
        print(f"  {cmd.ljust(width)}{what}")
    print("Run `llm-agent demo` again to add more sessions.")
    return code


def _quote(path: str) -> str:
    return f'"{path}"' if any(c in path for c in " \"'$") else path


def _width() -> int:
    return shutil.get_terminal_size((120, 24)).columns


def _emit(rows: Any, args: argparse.Namespace, out: TextIO, headers: Sequence[str], cells: Any, empty: str) -> int:
    if args.format == "json":
        to_json(rows, out)
    elif args.format == "csv":
        to_csv(rows, out)
    else:
        rows = list(rows)
        if not rows:
            print(empty, file=out)
        else:
            print(_text.table(headers, [cells(r) for r in rows], _width()), file=out)
    return EXIT_OK


def _window_text(args: argparse.Namespace) -> str:
    return _text.visible(f"since {args.since or '24h ago'}" + (f" until {args.until}" if args.until else ""))


def _sessions(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    filters = {dest: getattr(args, dest) for _, dest, _, _ in _FILTER_FLAGS}
    limit = args.limit if args.limit is not None else (50 if args.format == "table" else None)
    rows = store.iter_sessions(
        since=args.since, until=args.until, session_id=args.session_id, user=args.user, where=args.where,
        order_by=args.sort, limit=limit, offset=args.offset, **filters,
    )  # fmt: skip
    headers = ("session", "user", "start", "dur_s", "traces", "llm", "in_tok", "out_tok", "tokens", "cost", "err",
               "models")  # fmt: skip
    code = _emit(
        rows, args, out, headers,
        lambda s: (s.session_id, ",".join(s.users) or None, s.start, s.duration_s, s.traces, s.llm_calls,
                   s.input_tokens, s.output_tokens, s.total_tokens, _cost(s.cost_usd, s.unpriced_calls), s.errors,
                   s.models),
        f"No sessions {_window_text(args)} match.",
    )  # fmt: skip
    if args.format == "table":  # the traces no session lists (an app without llm_agent.session)
        note = _cli_traces.sessionless_note(store, args.since, args.until)
        if note:
            print(_text.visible(note), file=out)
    return code


def _traces(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    return _cli_traces.run(store, args, out, _emit, _window_text(args))


def _session(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    detail = store.session(args.id)
    if detail is None:
        where = display_location(getattr(store, "path", "the store"))
        print(f"llm-agent: no session {args.id!r} in {where}", file=sys.stderr)
        return EXIT_NOT_FOUND
    transcript = store.transcript(args.id)
    if args.format == "json":
        payload = detail.to_dict()
        payload["transcript"] = transcript.to_dict() if transcript is not None else None
        json.dump(payload, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return EXIT_OK
    if args.format == "csv":
        to_csv(detail.traces, out)
        return EXIT_OK
    s = detail.summary
    print(_text.key_values([
        ("session", s.session_id), ("users", s.users), ("start", s.start), ("end", s.end),
        ("duration_s", s.duration_s), ("traces", s.traces), ("llm_calls", s.llm_calls),
        ("tokens", f"{s.input_tokens} in + {s.output_tokens} out = {s.total_tokens}"),
        ("cost", _cost(s.cost_usd, s.unpriced_calls)),
        ("cache", _cache_health(s.cache_hit_ratio, s.cache_read_tokens, s.cache_creation_tokens,
                                       s.cache_saved_usd)),
        ("errors", s.errors), ("models", s.models),
    ]), file=out)  # fmt: skip
    print(file=out)
    headers = ("trace", "name", "start", "gap_s", "dur_s", "llm", "in_tok", "out_tok", "cached", "cost", "err",
               "ttft_s", "models")  # fmt: skip
    rows = [
        (t.trace_id, t.name, t.start, t.gap_s, t.duration_s, t.llm_calls, t.input_tokens, t.output_tokens,
         f"{t.cache_read_tokens} BUST +{t.cache_bust_tokens} uncached" if t.cache_bust else t.cache_read_tokens,
         _cost(t.cost_usd, t.unpriced_calls), t.errors, t.ttft_s, t.models)
        for t in detail.traces
    ]  # fmt: skip
    print(_text.table(headers, rows, _width()), file=out)
    if transcript is not None:
        print(file=out)
        print(_text.transcript(transcript, _width()), file=out)
    return EXIT_OK


def _per_call(p: Any) -> str | None:
    if p is None:
        return None
    return f"avg ${p.avg or 0:.6f}  p50 ${p.p50 or 0:.6f}  p99 ${p.p99 or 0:.6f}"


def _cache_health(ratio: float | None, read: int, write: int, saved: float | None) -> str | None:
    if ratio is None:
        return None
    text = f"hit {ratio:.1%}  read {read}  written {write}"
    return text + (f"  saved ${saved:.4f}" if saved is not None else "")


def _flat(span: SpanNode) -> dict[str, Any]:
    d = span.to_dict()
    d.pop("children", None)
    return d


def _trace(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    tree: TraceTree | None = store.trace(args.id)
    if tree is None:
        where = display_location(getattr(store, "path", "the store"))
        print(f"llm-agent: no trace {args.id!r} in {where}", file=sys.stderr)
        return EXIT_NOT_FOUND
    if args.format == "json":
        # Spans flat (parent_span_id and depth give the tree) instead of nesting each subtree twice.
        d = tree.to_dict()
        d.pop("roots", None)
        d["spans"] = [_flat(s) for s in tree.spans]
        json.dump(d, out, ensure_ascii=False, indent=2)
        out.write("\n")
    elif args.format == "csv":
        to_csv([_flat(s) for s in tree.spans], out)
    else:
        print(_text.waterfall(tree, _width()), file=out)
    return EXIT_OK


def _models(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    headers = ("model", "provider", "requests", "errors", "err_rate", "in_tok", "out_tok", "p50_s", "p99_s", "ttft_p50",
               "cost", "per_1k_calls")  # fmt: skip
    return _emit(
        store.models(since=args.since, until=args.until), args, out, headers,
        lambda m: (m.model, m.providers, m.requests, m.errors, m.error_rate, m.input_tokens, m.output_tokens,
                   m.latency_p50_s, m.latency_p99_s, m.ttft_p50_s, _cost(m.cost_usd, m.unpriced_calls),
                   _cost(m.cost_per_1k_calls_usd, 0)),
        f"No model calls {_window_text(args)}.",
    )  # fmt: skip


def _model(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    m = store.model(
        args.name, since=args.since, until=args.until, bucket=args.bucket, slow_threshold_s=args.slow_threshold
    )
    if args.format == "json":
        json.dump(m.to_dict(), out, ensure_ascii=False, indent=2)
        out.write("\n")
        return EXIT_OK
    if args.format == "csv":
        to_csv(m.series, out)
        return EXIT_OK
    if m.requests == 0:
        print(f"No calls to model {args.name!r} {_window_text(args)}.", file=out)
        return EXIT_OK
    lat, ttft = m.latency, m.ttft
    print(_text.key_values([
        ("model", m.model), ("window", f"{_text.fmt_value(m.since)} .. {_text.fmt_value(m.until)}"),
        ("providers", m.providers), ("requests", m.requests),
        ("errors", f"{m.errors} ({m.error_rate:.1%})"), ("error types", m.error_types),
        ("slow calls", f"{m.slow_calls} (> {m.slow_threshold_s:g}s)"),
        ("latency s", f"avg {_text.fmt_value(lat.avg)}  p50 {_text.fmt_value(lat.p50)}  p90 {_text.fmt_value(lat.p90)}"
                      f"  p99 {_text.fmt_value(lat.p99)}  max {_text.fmt_value(lat.max)}"),
        ("ttft s", f"avg {_text.fmt_value(ttft.avg)}  p50 {_text.fmt_value(ttft.p50)}  p90 {_text.fmt_value(ttft.p90)}"
                   f"  p99 {_text.fmt_value(ttft.p99)}  ({ttft.count} streamed)"),
        ("output tok/s", m.output_tokens_per_s),
        ("tokens", f"in {m.input_tokens}  out {m.output_tokens}  cached {m.cache_read_tokens}  "
                   f"reasoning {m.reasoning_tokens}"),
        ("avg tokens/call", f"in {_text.fmt_value(m.avg_input_tokens)}  out {_text.fmt_value(m.avg_output_tokens)}"),
        ("usage missing", m.usage_missing_calls), ("finish reasons", m.finish_reasons),
        ("cost", _cost(m.cost_usd, m.unpriced_calls)),
        ("cost/call", _per_call(m.cost_per_call)),
        ("cache", _cache_health(m.cache_hit_ratio, m.cache_read_tokens, m.cache_creation_tokens,
                                       m.cache_saved_usd)),
    ]), file=out)  # fmt: skip
    print(file=out)
    headers = ("bucket", "requests", "errors", "in_tok", "out_tok", "p50_s", "p90_s", "p99_s", "ttft_p50", "cost")
    rows = [
        (b.start, b.requests, b.errors, b.input_tokens, b.output_tokens, b.latency_p50_s, b.latency_p90_s,
         b.latency_p99_s, b.ttft_p50_s, _cost(b.cost_usd, 0))
        for b in m.series if b.requests
    ]  # fmt: skip
    print(f"time series ({m.bucket_s}s buckets with calls):", file=out)
    print(_text.table(headers, rows, _width()), file=out)
    return EXIT_OK


def _users(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    headers = ("user", "first_seen", "last_seen", "sessions", "traces", "llm", "tokens", "cost", "errors", "p95_s")
    # Most expensive first (unknown cost last), then the most recent.
    users = sorted(store.users(since=args.since, until=args.until), key=lambda u: -(u.cost_usd or -1.0))
    return _emit(
        users, args, out, headers,
        lambda u: (u.user_id, u.first_seen, u.last_seen, u.sessions, u.traces, u.llm_calls, u.total_tokens,
                   _cost(u.cost_usd, u.unpriced_calls), u.errors, u.latency_p95_s),
        f"No users {_window_text(args)}.",
    )  # fmt: skip


_HANDLERS = {
    "sessions": _sessions,
    "session": _session,
    "traces": _traces,
    "trace": _trace,
    "models": _models,
    "model": _model,
    "users": _users,
}

if __name__ == "__main__":
    sys.exit(main())
