"""``llm-agent traces``: the Trace Explorer on the command line (registered by ``cli.py``).

    llm-agent traces --since 7d --where "session_id is null and error_type == 'openai.RateLimitError'"
    llm-agent traces --model gpt-4o --min-duration 3s --sort -duration_s --format csv > slow.csv

Every trace overlapping the window, with or without a session; the same options as ``sessions``
where they apply, plus ``--model``, ``--name`` and ``--errors`` / ``--no-errors``.  Uses only the
public names of ``llm_agent.analysis``.
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Callable
from typing import Any, Final, TextIO

from llm_agent.analysis import TRACE_FILTER_FIELDS, Store, parse_duration

#: The filter expression the sessions listing points at for the traces outside every session.
SESSIONLESS_WHERE: Final = "session_id is null"

_FLAGS: Final = (
    # flag, store keyword, parser name, help
    ("--min-duration", "min_duration_s", parse_duration, "traces lasting at least this (5s, 2m, 1h)"),
    ("--max-duration", "max_duration_s", parse_duration, "traces lasting at most this"),
    ("--min-tokens", "min_total_tokens", int, "at least this many total tokens"),
    ("--max-tokens", "max_total_tokens", int, "at most this many total tokens"),
)


def add_parser(sub: Any, parents: list[argparse.ArgumentParser], typed: Callable[[Any], Any]) -> None:
    """Add ``traces`` to the ``llm-agent`` subcommands (``typed`` turns a parser into an argparse type)."""
    p = sub.add_parser("traces", parents=parents, help="list traces overlapping the window, with or without a session")
    p.add_argument("--session", dest="session_id", help="this session's traces only")
    p.add_argument("--user", help="traces of this user")
    p.add_argument("--model", help="traces that called this model")
    p.add_argument("--name", help="traces whose root span has this name")
    for flag, dest, parse, text in _FLAGS:
        p.add_argument(flag, dest=dest, type=typed(parse), help=text)
    errors = p.add_mutually_exclusive_group()
    errors.add_argument("--errors", dest="has_error", action="store_const", const=True, help="traces with an error")
    errors.add_argument("--no-errors", dest="has_error", action="store_const", const=False, help="traces without one")
    fields = ", ".join(f"{name} ({ftype})" for name, ftype in TRACE_FILTER_FIELDS.items())
    p.add_argument(
        "--where",
        help=f"filter expression, e.g. \"session_id is null and tool == 'search_orders'\"; fields: {fields}",
    )
    p.add_argument("--sort", default="-start", help="column, '-' prefix for descending (default -start)")
    p.add_argument("--limit", type=typed(int), help="rows to show (default 50 for tables, all for json/csv)")
    p.add_argument("--offset", type=typed(int), default=0)


def run(store: Store, args: argparse.Namespace, out: TextIO, emit: Callable[..., int], window_text: str) -> int:
    """List the traces ``args`` select (``emit`` is the CLI's table / JSON / CSV writer)."""
    limit = args.limit if args.limit is not None else (50 if args.format == "table" else None)
    filters = {dest: getattr(args, dest) for _, dest, _, _ in _FLAGS}
    rows = store.iter_traces(
        since=args.since, until=args.until, session_id=args.session_id, user=args.user, model=args.model,
        name=args.name, has_error=args.has_error, where=args.where, order_by=args.sort, limit=limit,
        offset=args.offset, **filters,
    )  # fmt: skip
    headers = ("trace", "name", "session", "user", "start", "dur_s", "spans", "llm", "tokens", "err", "models", "tools")
    return emit(
        rows, args, out, headers,
        lambda t: (t.trace_id, t.name, t.session_id, t.user_id, t.start, t.duration_s, t.spans, t.llm_calls,
                   t.total_tokens, t.errors, t.models, t.tool_names),
        f"No traces {window_text} match.",
    )  # fmt: skip


def sessionless_note(store: Store, since: Any, until: Any) -> str | None:
    """The line under a sessions table: how many traces in the window have no session, and how
    to list them (None when every trace has one)."""
    count = store.count_traces(since=since, until=until, where=SESSIONLESS_WHERE)
    if not count:
        return None
    window = "".join(f" --{n} {shlex.quote(str(v))}" for n, v in (("since", since), ("until", until)) if v)
    traces = "trace has" if count == 1 else "traces have"
    return f'{count} {traces} no session in this window: llm-agent traces{window} --where "{SESSIONLESS_WHERE}"'
