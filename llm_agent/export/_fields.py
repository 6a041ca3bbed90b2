"""The one span -> ``SpanRecord`` -> ``spans`` row table, and the converters made from it.

``FIELDS`` says, once, for every field: where its value comes from (span attributes, with their
coercion, or an expression over the span), whether ``SpanRecord`` has it, and how the sqlite sink
stores it.  ``Converter.values``, the sink's column list and ``INSERT``, ``rows_from_values`` and
the sink's direct span -> row path are all derived from it, so no code keeps a field's position.

Why generated code: the converters run per span on the worker (the sink's target is 60k spans/s
on two cores), and a loop over the table costs a call and a tuple per field.  So each converter is
generated from the table once, at import, as the straight-line function one would write by hand:
attribute keys as constants, type checks inline, one tuple built.  ``source(name)`` shows it.
"""

from __future__ import annotations

import enum
import linecache
from collections.abc import Callable, Sequence
from typing import Any, Final, NamedTuple

from opentelemetry.trace import SpanKind, StatusCode

from llm_agent import _dialects, semconv
from llm_agent._otel_compat import BOUNDED_DICT_FIELD, SPAN_ATTRIBUTES_FIELD, SPAN_EVENTS_FIELD
from llm_agent.backends._types import SpanRecord
from llm_agent.instrumentation._values import MAX_TOKEN_COUNT

#: Longest count text parsed (digits): ``int`` refuses thousands of digits, and far fewer are
#: already out of range.
_MAX_COUNT_DIGITS: Final = 40

_KIND_NAMES: Final = {k: k.name for k in SpanKind}
_STATUS_NAMES: Final = {s: s.name for s in StatusCode}
#: gen_ai.operation.name -> gen_ai.span.kind when a span carries no explicit kind.
_INFERRED_KINDS: Final = {
    **_dialects.OLD_INFERRED_KINDS,
    semconv.OP_CHAT: semconv.KIND_LLM,
    semconv.OP_TEXT_COMPLETION: semconv.KIND_LLM,
    semconv.OP_GENERATE_CONTENT: semconv.KIND_LLM,
    semconv.OP_EMBEDDINGS: semconv.KIND_EMBEDDING,
    semconv.OP_INVOKE_AGENT: semconv.KIND_AGENT,
    semconv.OP_EXECUTE_TOOL: semconv.KIND_TOOL,
    semconv.OP_RETRIEVAL: semconv.KIND_RETRIEVER,
}


def _int_or_none(value: Any) -> int | None:
    if value is None or type(value) is int:
        return value
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _count_or_none(value: Any) -> int | None:
    """A token count from another instrumentation's attribute (an int or its text), within
    ``MAX_TOKEN_COUNT``; anything else is unknown.  Ours are bounded at the span's end already."""
    count = _int_or_none(value) if type(value) is not str or len(value) <= _MAX_COUNT_DIGITS else None
    return count if count is not None and 0 <= count <= MAX_TOKEN_COUNT else None


def _float_or_none(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _str_or_none(value: Any) -> str | None:
    if value is None or type(value) is str:
        return value
    return str(value)


def _str_tuple(value: Any) -> tuple[str, ...]:
    if isinstance(value, (list, tuple)):
        return tuple([str(v) for v in value])
    return (str(value),)


def _first(get: Callable[[str], Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = get(key)
        if value is not None and value != "":
            return value if isinstance(value, str) else str(value)
    return None


def _plain(value: Any) -> Any:
    # Attribute sequences are tuples in the SDK; lists keep the record JSON-shaped.
    return list(value) if isinstance(value, tuple) else value


def _events(span: Any) -> tuple[dict[str, Any], ...]:
    return tuple(
        [
            {
                "name": e.name,
                "time_ns": e.timestamp,
                "attributes": {k: _plain(v) for k, v in (e.attributes or {}).items()},
            }
            for e in span.events
        ]
    )


class Coerce(NamedTuple):
    """How a present attribute value becomes the field's value (absent stays absent: unknown)."""

    func: Callable[[Any], Any]
    #: Values of exactly this type are kept as they are, without a call (the common case).
    exact: type | None = None
    #: Further condition (over ``{}``, the value) for keeping an ``exact``-typed value without a call.
    keep: str | None = None


STR: Final = Coerce(_str_or_none, str)
INT: Final = Coerce(_int_or_none, int)
#: A token count: in range or unknown, so that no count can overflow the sink's 64-bit columns and
#: sums (``docs/data-model.md``).
COUNT: Final = Coerce(_count_or_none, int, "0 <= {} <= _MAX_COUNT")
FLOAT: Final = Coerce(_float_or_none, float)
FLAG: Final = Coerce(bool)
STR_TUPLE: Final = Coerce(_str_tuple)


class Store(enum.Enum):
    """How the sqlite sink stores a field's value in its column (``{}`` is the value)."""

    VALUE = "{}"
    JSON = "enc({})"
    #: Empty sequences as NULL.
    JSON_OR_NULL = "enc({0}) if {0} else None"
    #: Booleans as 0 / 1.
    INT_FLAG = "1 if {} else 0"


class Field(NamedTuple):
    """One field of a span record; the sqlite column, when there is one, has the same name."""

    name: str
    #: How the sqlite sink stores it; ``None``: the sink has no such column.
    column: Store | None = Store.VALUE
    #: ``False``: a sink column only, computed (``source``) from record fields.
    record: bool = True
    #: The attributes it is read from.  Several are synonyms: the first present, non-empty one wins.
    keys: tuple[str, ...] = ()
    coerce: Coerce | None = None
    #: Python expression for the value when none of ``keys`` is present (default: ``None``).
    absent: str | None = None
    #: Python expression for a field not read from attributes, over the span (``span``, ``ctx``,
    #: ``parent``, ``span_status``), its attributes (``attrs``), its resource (``resource_attrs``,
    #: ``service``), the attribute fields and the computed fields above it in the table.
    source: str | None = None


# Adding a field: one line here, in the order of the sink's ``spans`` columns (the on-disk order;
# fields the sink does not store go anywhere).  Then the ``SpanRecord`` field (the record's order
# is its own, the public one), and for a stored field the column in ``_sqlite_schema`` with a
# migration.  tests/export/test_fields.py checks that all of these agree.
FIELDS: Final[tuple[Field, ...]] = (
    Field("trace_id", source="format(ctx.trace_id, '032x')"),
    Field("span_id", source="format(ctx.span_id, '016x')"),
    Field("parent_span_id", source="format(parent.span_id, '016x') if parent is not None else None"),
    Field("name", source="span.name"),
    Field("kind", source="_KIND_NAMES.get(span.kind, 'INTERNAL')"),
    Field("start_ns", source="span.start_time or 0"),
    Field("end_ns", source="span.end_time or start_ns"),
    Field("duration_ns", record=False, source="end_ns - start_ns"),
    Field("status", source="_STATUS_NAMES.get(span_status.status_code, 'UNSET')"),
    Field("status_message", source="span_status.description or None"),
    Field("error_type", keys=(semconv.ERROR_TYPE,), coerce=STR),
    Field("service_name", source="service"),
    Field("scope_name", None, source="scope.name if scope is not None else None"),
    Field("session_id", keys=_dialects.SESSION_KEYS, coerce=STR),
    Field("user_id", keys=_dialects.USER_KEYS, coerce=STR),
    # Without a kind: from the operation, else from another dialect's kind (``_dialects``).
    Field("span_kind", keys=(semconv.ARMS_SPAN_KIND,), coerce=STR,
          absent="_INFERRED_KINDS.get(operation) or (_synonym(get, _KINDS, _str_or_none) if foreign else None)"),
    Field("operation", keys=(semconv.GEN_AI_OPERATION_NAME,), coerce=STR),
    Field("provider", keys=(semconv.GEN_AI_PROVIDER_NAME,), coerce=STR),
    Field("request_model", keys=(semconv.GEN_AI_REQUEST_MODEL,), coerce=STR),
    Field("response_model", keys=(semconv.GEN_AI_RESPONSE_MODEL,), coerce=STR),
    Field("model", source="request_model if request_model is not None else response_model"),
    Field("input_tokens", keys=(semconv.GEN_AI_USAGE_INPUT_TOKENS,), coerce=COUNT),
    Field("output_tokens", keys=(semconv.GEN_AI_USAGE_OUTPUT_TOKENS,), coerce=COUNT),
    Field("cache_read_tokens", keys=(semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,), coerce=COUNT),
    Field("cache_creation_tokens", keys=(semconv.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,), coerce=COUNT),
    Field("reasoning_tokens", keys=(semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,), coerce=COUNT),
    Field("ttft_s", keys=(semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,), coerce=FLOAT),
    Field("finish_reasons", Store.JSON_OR_NULL, keys=(semconv.GEN_AI_RESPONSE_FINISH_REASONS,),
          coerce=STR_TUPLE, absent="()"),
    # Absent: another instrumentation's LLM span without usage is unknown, and flagged as such.
    Field("usage_missing", Store.INT_FLAG, keys=(semconv.USAGE_MISSING,), coerce=FLAG,
          absent="span_kind in _USAGE_KINDS and input_tokens is None and output_tokens is None"),
    Field("attributes", Store.JSON, source="attrs"),
    Field("resource", None, source="resource_attrs"),
    Field("events", Store.JSON_OR_NULL, source=f"_events(span) if getattr(span, {SPAN_EVENTS_FIELD!r}, True) else ()"),
    # Whether the span's usage is summed: every usage span at first; the sink clears it for the
    # outer spans of a model call when the trace's spans arrive (backends/_usage_rule.py).
    Field("usage_counted", record=False, source="1 if span_kind in _USAGE_KINDS else 0"),
)  # fmt: skip

_BY_NAME: Final = {f.name: f for f in FIELDS}
#: ``SpanRecord``'s fields, in its order: the order of ``Converter.values``.
RECORD_FIELDS: Final[tuple[Field, ...]] = tuple(_BY_NAME[name] for name in SpanRecord.__dataclass_fields__)
#: The fields the sqlite sink stores, in the order of its ``spans`` columns.
COLUMN_FIELDS: Final[tuple[Field, ...]] = tuple(f for f in FIELDS if f.column is not None)
#: The fields read from attributes (``semconv`` names), in table order.
ATTRIBUTE_FIELDS: Final[tuple[Field, ...]] = tuple(f for f in FIELDS if f.keys)

# What the generated code refers to besides its arguments.
_NAMESPACE: Final[dict[str, Any]] = {
    "_KIND_NAMES": _KIND_NAMES,
    "_STATUS_NAMES": _STATUS_NAMES,
    "_INFERRED_KINDS": _INFERRED_KINDS,
    "_USAGE_KINDS": semconv.USAGE_SPAN_KINDS,
    "_MAX_COUNT": MAX_TOKEN_COUNT,
    "_first": _first,
    "_synonym": _dialects.synonym_value,
    "_OWN_SCOPE": semconv.INSTRUMENTATION_SCOPE,
    "_KINDS": _dialects.KIND_SYNONYMS,
    **{f"_SYN_{name}": synonyms for name, synonyms in _dialects.SYNONYMS.items()},
    "_events": _events,
    **{c.func.__name__: c.func for c in (STR, INT, COUNT, FLOAT, FLAG, STR_TUPLE)},
}
# The span's own attribute dict: BoundedAttributes wraps a plain dict, iterated and read directly.
# The SDK span's private field names, as ``_otel_compat`` picked them for the installed SDK
#: (constants in the generated code: nothing is looked up per span).
_SPAN_FIELD_NAMES: Final = {"attributes_field": SPAN_ATTRIBUTES_FIELD, "bounded_dict_field": BOUNDED_DICT_FIELD}
_PRELUDE: Final = """\
    ctx = span.context
    parent = span.parent
    raw = getattr(span, {attributes_field!r}, None)
    raw = getattr(raw, {bounded_dict_field!r}, raw)
    if raw is None:
        raw = span.attributes or {{}}
    attrs = {attrs}
    get = attrs.get
    resource_attrs, service = self._resource(span)
    span_status = span.status
    scope = span.instrumentation_scope
    foreign = scope is None or scope.name != _OWN_SCOPE
"""
#: Locals of the generated code besides the fields' own (a field must not be named like one).
_LOCALS: Final = frozenset({"self", "span", "copy_attributes", "values", "enc", "ctx", "parent", "raw", "attrs", "get",
                            "resource_attrs", "service", "span_status", "scope", "foreign"})  # fmt: skip
assert not _LOCALS & {f.name for f in FIELDS}, "a field named like a local of the generated code"
_SOURCES: dict[str, str] = {}


def _reads(field: Field) -> list[str]:
    """Statements that read ``field`` from the attributes into the local of its name."""
    name, keys, coerce = field.name, field.keys, field.coerce
    assert coerce is not None, name
    if len(keys) > 1:
        assert coerce is STR, f"{name}: synonyms are read as str"
        return [f"    {name} = _first(get, {keys!r})"]
    lines = [f"    {name} = get({keys[0]!r})"]
    check = f" and type({name}) is not {coerce.exact.__name__}" if coerce.exact is not None else ""
    if coerce.keep is not None:
        check = f" and not (type({name}) is {coerce.exact.__name__} and {coerce.keep.format(name)})"
    if name in _dialects.SYNONYMS:
        # Other dialects' names only when the conventions' is absent, and never on llm_agent's own
        # spans (``foreign``: another scope), which carry none: they pay one test per field.
        lines += [f"    if {name} is None:", "        if foreign:",
                  f"            {name} = _synonym(get, _SYN_{name}, {coerce.func.__name__})"]  # fmt: skip
        lines += [
            f"    elif {check[5:]}:" if check else "    else:",
            f"        {name} = {coerce.func.__name__}({name})",
        ]
        return lines
    lines += [f"    if {name} is not None{check}:", f"        {name} = {coerce.func.__name__}({name})"]
    return lines


def _body(fields: Sequence[Field]) -> list[str]:
    """Statements computing ``fields`` (and nothing else): attributes first, then the rest in
    table order, so an expression may use any attribute field and the computed fields above it."""
    wanted = {f.name for f in fields}
    lines = []
    for f in FIELDS:
        if f.keys and f.name in wanted:
            lines += _reads(f)
    for f in FIELDS:
        if f.keys and f.absent is not None and f.name in wanted:
            lines += [f"    if {f.name} is None:", f"        {f.name} = {f.absent}"]
    for f in FIELDS:
        if f.source is not None and f.name in wanted:
            lines.append(f"    {f.name} = {f.source}")
    return lines


def _compile(name: str, source: str) -> Callable[..., Any]:
    filename = f"<llm_agent.export._fields: {name}>"
    namespace = {**_NAMESPACE, "__name__": __name__}
    exec(compile(source, filename, "exec"), namespace)
    # Tracebacks through generated code show its lines.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    _SOURCES[name] = source
    function: Callable[..., Any] = namespace[name]
    return function


def record_values_function() -> Callable[..., tuple[Any, ...]]:
    """``values(self, span, copy_attributes=True)`` for a ``Converter``: the ``SpanRecord`` field
    values in field order.  ``copy_attributes=False`` hands out the span's own attribute mapping
    (sequences still tuples) for callers that only serialise it."""
    attrs = "{k: (list(v) if type(v) is tuple else v) for k, v in raw.items()} if copy_attributes else raw"
    lines = [
        "def values(self, span, copy_attributes=True):",
        _PRELUDE.format(attrs=attrs, **_SPAN_FIELD_NAMES).rstrip("\n"),
    ]
    lines += _body(RECORD_FIELDS)
    lines.append("    return (" + ", ".join(f.name for f in RECORD_FIELDS) + ",)")
    function = _compile("values", "\n".join(lines) + "\n")
    function.__doc__ = record_values_function.__doc__
    return function


def _stored(field: Field, value: str | None = None) -> str:
    """The expression the sink stores for ``field`` (``value``: the field's value, default its local)."""
    assert field.column is not None
    return field.column.value.format(value or field.name)


def row_function() -> Callable[..., tuple[Any, ...]]:
    """``row(self, span)`` for a ``Converter`` with an ``_encode`` (JSON): the span's sqlite
    ``spans`` row, straight from the span (equal to ``rows_from_values`` of its ``values``)."""
    lines = [
        "def row(self, span):",
        "    enc = self._encode",
        _PRELUDE.format(attrs="raw", **_SPAN_FIELD_NAMES).rstrip("\n"),
    ]
    lines += _body(COLUMN_FIELDS)
    lines.append("    return (" + ", ".join(_stored(f) for f in COLUMN_FIELDS) + ",)")
    function = _compile("row", "\n".join(lines) + "\n")
    function.__doc__ = row_function.__doc__
    return function


def rows_from_values_function() -> Callable[..., list[tuple[Any, ...]]]:
    """``rows_from_values(values, enc)``: ``values`` tuples (``SpanRecord`` order) -> sqlite rows."""
    # Record fields are unpacked into locals of their names; a column-only field is its expression.
    # Token counts are bounded here too: a record built by hand (``SQLiteBackend.export``) skips
    # the converter's coercion.
    row = ", ".join(
        _stored(f, f"_count_or_none({f.name})")
        if f.coerce is COUNT
        else _stored(f)
        if f.record
        else _stored(f, f"({f.source})")
        for f in COLUMN_FIELDS
    )
    unpacked = ", ".join(f.name for f in RECORD_FIELDS)
    text = f"def rows_from_values(values, enc):\n    return [({row},) for ({unpacked},) in values]\n"
    return _compile("rows_from_values", text)


def source(name: str) -> str:
    """The generated source of ``values``, ``row`` or ``rows_from_values`` (for reading and tests)."""
    return _SOURCES[name]
