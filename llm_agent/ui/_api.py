"""The web page's JSON API: query strings in, ``llm_agent.analysis`` calls, JSON-ready dicts out.

Every endpoint is a thin translation onto the public analysis API (DESIGN §8), so the page, the
CLI and Python users see the same numbers; there is no second copy of query logic here.  This
module knows nothing about HTTP: ``Api.get(path, query)`` returns ``(status, payload)``, which the
server (``_server.py``) encodes.  Errors a user can fix (a bad filter expression, a malformed
number, an unknown ID) are 4xx payloads ``{"error": message, "kind": ...}``, never exceptions.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any, Final

from llm_agent import analysis, semconv
from llm_agent.analysis import (
    FILTER_ALIASES,
    FILTER_FIELDS,
    TRACE_FILTER_ALIASES,
    TRACE_FILTER_FIELDS,
    FilterError,
    Window,
    display_location,
    parse_duration,
    resolve_window,
)

#: The largest page of sessions one request may ask for (a page is rendered as a table row each).
MAX_PAGE_LIMIT: Final = 500
#: Page size when the request names none.
DEFAULT_PAGE_LIMIT: Final = 50
#: Window when the request names none (the analysis API's own default, 24 h).
DEFAULT_WINDOW: Final = "24h"

#: Attributes holding captured prompt / completion content: the page shows them in their own
#: panel (as text, never markup) and says "not captured" when none is present.
CONTENT_ATTRIBUTES: Final = (
    semconv.GEN_AI_SYSTEM_INSTRUCTIONS,
    semconv.GEN_AI_INPUT_MESSAGES,
    semconv.GEN_AI_OUTPUT_MESSAGES,
    semconv.GEN_AI_TOOL_DEFINITIONS,
    semconv.GEN_AI_EMBEDDINGS_INPUT,
    *semconv.STEP_CONTENT_KEYS,
)

# Query parameter -> converter for the keyword filters of ``Store.sessions``.
_INT_FILTERS: Final = (
    "min_traces",
    "max_traces",
    "min_total_tokens",
    "max_total_tokens",
    "min_input_tokens",
    "max_input_tokens",
    "min_output_tokens",
    "max_output_tokens",
)
_DURATION_FILTERS: Final = ("min_duration_s", "max_duration_s")
_USD_FILTERS: Final = ("min_cost", "max_cost")
_TEXT_FILTERS: Final = ("session_id", "user", "where")
# The keyword filters of ``Store.traces`` (the Traces tab).
_TRACE_TEXT_FILTERS: Final = ("session_id", "user", "model", "name", "where")
_TRACE_INT_FILTERS: Final = ("min_total_tokens", "max_total_tokens")
_BOOLEANS: Final = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}
#: The traces outside every session, in the trace vocabulary (the sessions list links to them).
SESSIONLESS_WHERE: Final = "session_id is null"

Payload = dict[str, Any]
Response = tuple[int, Payload]


class BadRequest(ValueError):
    """A query parameter the page (or a hand-written URL) got wrong; becomes a 400 with this message."""


def _error(status: int, kind: str, message: str, **extra: Any) -> Response:
    return status, {"error": message, "kind": kind, **extra}


class StoreHolder:
    """Opens the store lazily and re-opens it while the sink is missing or still empty.

    The page may be started before the app has recorded anything: rather than failing once at
    start-up, every request tries again until the sink exists and has a schema.
    """

    def __init__(self, db: str | None) -> None:
        self.db = db
        self.path = analysis.default_path() if db is None else db
        self._store: analysis.Store | None = None
        self._lock = threading.Lock()

    def get(self) -> analysis.Store:
        """The open store; raises ``MissingDatabaseError`` while the sink file does not exist."""
        with self._lock:
            store = self._store
            if store is not None and not getattr(store, "empty", False):
                return store
            fresh = analysis.open(self.db)
            self._store = fresh
        if store is not None:
            store.close()
        return fresh

    def close(self) -> None:
        with self._lock:
            store, self._store = self._store, None
        if store is not None:
            store.close()


class Api:
    """Routes ``/api/...`` GET requests to the store."""

    def __init__(self, holder: StoreHolder) -> None:
        self.holder = holder
        self._routes: dict[str, Callable[[str, Mapping[str, str]], Response]] = {
            "meta": self._meta,
            "sessions": self._sessions,
            "session": self._session,
            "traces": self._traces,
            "transcript": self._transcript,
            "trace": self._trace,
            "models": self._models,
            "model": self._model,
            "users": self._users,
        }

    def get(self, path: str, query: Mapping[str, str]) -> Response:
        """``path`` is what follows ``/api/`` (still percent-encoded); ``query`` the decoded parameters."""
        name, _, rest = path.partition("/")
        route = self._routes.get(name)
        if route is None:
            return _error(404, "not_found", f"no API endpoint /api/{name}")
        arg = urllib.parse.unquote(rest)
        try:
            return route(arg, query)
        except FilterError as exc:
            return _error(400, "filter", str(exc), reason=exc.reason, position=exc.position)
        except analysis.MissingDatabaseError as exc:
            return _error(404, "missing_db", str(exc), db=display_location(self.holder.path))
        except (BadRequest, ValueError, TypeError, OverflowError) as exc:
            return _error(400, "bad_request", str(exc))
        except (OSError, sqlite3.Error) as exc:  # a directory, an unreadable file, a server that is down
            return _error(503, "db_unavailable", f"cannot read {display_location(self.holder.path)}: {exc}")

    # --- endpoints -------------------------------------------------------------------------------------

    def _meta(self, _arg: str, _query: Mapping[str, str]) -> Response:
        exists = os.path.exists(self.holder.path) if "://" not in self.holder.path else True
        return 200, {
            "db": display_location(self.holder.path),
            "db_exists": exists,
            "default_window": DEFAULT_WINDOW,
            "default_limit": DEFAULT_PAGE_LIMIT,
            "max_limit": MAX_PAGE_LIMIT,
            "filter_fields": dict(FILTER_FIELDS),
            "filter_aliases": dict(FILTER_ALIASES),
            "trace_filter_fields": dict(TRACE_FILTER_FIELDS),
            "trace_filter_aliases": dict(TRACE_FILTER_ALIASES),
            "sessionless_where": SESSIONLESS_WHERE,
            "content_attributes": list(CONTENT_ATTRIBUTES),
            # USD cost is off without genai-prices: the page says once how to turn it on.
            "pricing_available": analysis.pricing_available(),
            "pricing_hint": analysis.PRICING_HINT,
        }

    def _sessions(self, _arg: str, query: Mapping[str, str]) -> Response:
        window = _window(query)
        kwargs: dict[str, Any] = {"since": window.since, "until": window.until}
        for name in _TEXT_FILTERS:
            value = query.get(name, "").strip()
            if value:
                kwargs[name] = value
        for name in _DURATION_FILTERS:
            value = query.get(name, "").strip()
            if value:
                kwargs[name] = _duration(name, value)
        for name in _INT_FILTERS:
            value = query.get(name, "").strip()
            if value:
                kwargs[name] = _int(name, value, minimum=0)
        for name in _USD_FILTERS:
            value = query.get(name, "").strip()
            if value:
                kwargs[name] = _usd(name, value)
        limit = _int("limit", query.get("limit", "") or str(DEFAULT_PAGE_LIMIT), minimum=1)
        if limit > MAX_PAGE_LIMIT:
            raise BadRequest(f"limit must be at most {MAX_PAGE_LIMIT}, got {limit}")
        offset = _int("offset", query.get("offset", "") or "0", minimum=0)
        order_by = query.get("order_by", "").strip() or "-start"
        store = self.holder.get()
        # One row more than the page tells whether a next page exists without counting every match.
        rows = store.sessions(**kwargs, order_by=order_by, limit=limit + 1, offset=offset)
        payload: Payload = {
            "rows": [r.to_dict() for r in rows[:limit]],
            "has_more": len(rows) > limit,
            "limit": limit,
            "offset": offset,
            "order_by": order_by,
            "since": window.since.isoformat(),
            "until": window.until.isoformat(),
            "total": None,
        }
        counter = getattr(store, "count_sessions", None)
        if callable(counter):  # a store that can count cheaply lets the page show "of N"
            payload["total"] = counter(**kwargs)
        # The traces no session lists (an app without llm_agent.session): the page links to them.
        payload["sessionless_traces"] = store.count_traces(
            since=window.since, until=window.until, where=SESSIONLESS_WHERE
        )
        return 200, payload

    def _traces(self, _arg: str, query: Mapping[str, str]) -> Response:
        window = _window(query)
        kwargs: dict[str, Any] = {"since": window.since, "until": window.until}
        for name in _TRACE_TEXT_FILTERS:
            value = query.get(name, "").strip()
            if value:
                kwargs[name] = value
        for name in _DURATION_FILTERS:
            value = query.get(name, "").strip()
            if value:
                kwargs[name] = _duration(name, value)
        for name in _TRACE_INT_FILTERS:
            value = query.get(name, "").strip()
            if value:
                kwargs[name] = _int(name, value, minimum=0)
        has_error = query.get("has_error", "").strip().lower()
        if has_error:
            if has_error not in _BOOLEANS:
                raise BadRequest(f"has_error must be 1 or 0 (true / false), got {query.get('has_error')!r}")
            kwargs["has_error"] = _BOOLEANS[has_error]
        limit = _int("limit", query.get("limit", "") or str(DEFAULT_PAGE_LIMIT), minimum=1)
        if limit > MAX_PAGE_LIMIT:
            raise BadRequest(f"limit must be at most {MAX_PAGE_LIMIT}, got {limit}")
        offset = _int("offset", query.get("offset", "") or "0", minimum=0)
        order_by = query.get("order_by", "").strip() or "-start"
        store = self.holder.get()
        rows = store.traces(**kwargs, order_by=order_by, limit=limit + 1, offset=offset)
        return 200, {
            "rows": [r.to_dict() for r in rows[:limit]],
            "has_more": len(rows) > limit,
            "limit": limit,
            "offset": offset,
            "order_by": order_by,
            "since": window.since.isoformat(),
            "until": window.until.isoformat(),
            # Like the sessions list: no count of every match (on a month of traces it would cost
            # more than the page); the extra row above says whether there is a next page.
            "total": None,
        }

    def _session(self, session_id: str, _query: Mapping[str, str]) -> Response:
        if not session_id:
            raise BadRequest("a session ID is required: /api/session/<id>")
        detail = self.holder.get().session(session_id)
        if detail is None:
            return _error(404, "unknown_session", f"no session {session_id!r} in this sink")
        return 200, detail.to_dict()

    def _transcript(self, session_id: str, _query: Mapping[str, str]) -> Response:
        if not session_id:
            raise BadRequest("a session ID is required: /api/transcript/<id>")
        transcript = self.holder.get().transcript(session_id)
        if transcript is None:
            return _error(404, "unknown_session", f"no session {session_id!r} in this sink")
        return 200, transcript.to_dict()

    def _trace(self, trace_id: str, _query: Mapping[str, str]) -> Response:
        if not trace_id:
            raise BadRequest("a trace ID is required: /api/trace/<id>")
        tree = self.holder.get().trace(trace_id)
        if tree is None or not tree.spans:
            return _error(404, "unknown_trace", f"no trace {trace_id!r} in this sink")
        payload = tree.to_dict()
        # The flat, depth-first list is what the waterfall draws; the nested copy under ``roots``
        # (and each node's ``children``) would repeat every span once per ancestor.
        payload.pop("roots", None)
        for span in payload["spans"]:
            span["child_count"] = len(span.pop("children", ()))
        return 200, payload

    def _models(self, _arg: str, query: Mapping[str, str]) -> Response:
        window = _window(query)
        models = self.holder.get().models(since=window.since, until=window.until)
        return 200, {
            "models": [m.to_dict() for m in models],
            "since": window.since.isoformat(),
            "until": window.until.isoformat(),
        }

    def _model(self, name: str, query: Mapping[str, str]) -> Response:
        if not name:
            raise BadRequest("a model name is required: /api/model/<name>")
        window = _window(query)
        bucket = query.get("bucket", "").strip() or "auto"
        result = self.holder.get().model(name, since=window.since, until=window.until, bucket=bucket)
        return 200, result.to_dict()

    def _users(self, _arg: str, query: Mapping[str, str]) -> Response:
        window = _window(query)
        users = self.holder.get().users(since=window.since, until=window.until)
        return 200, {
            "users": [u.to_dict() for u in users],
            "since": window.since.isoformat(),
            "until": window.until.isoformat(),
        }


def _window(query: Mapping[str, str]) -> Window:
    """Resolve ``since``/``until`` once per request, so the rows and the echoed window agree."""
    since = query.get("since", "").strip() or DEFAULT_WINDOW
    until = query.get("until", "").strip() or None
    return resolve_window(since, until)


def _int(name: str, text: str, minimum: int) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise BadRequest(f"{name} must be a whole number, got {text!r}") from None
    if value < minimum:
        raise BadRequest(f"{name} must be >= {minimum}, got {value}")
    return value


def _usd(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise BadRequest(f"{name} must be a number of USD, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise BadRequest(f"{name} must be a finite number >= 0, got {text!r}")
    return value


def _duration(name: str, text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise BadRequest(f"{name}: {exc}") from None
