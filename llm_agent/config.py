"""Settings: every option of ``llm_agent.init()``, its ``LLM_AGENT_*`` variable, default and rule.

Options are resolved once, at ``init()``: an explicit argument wins over the environment, which
wins over the default.  Every value is validated here, so a wrong setting fails at start-up with a
message naming the option and its variable, never later inside the app's own calls.
``OPTIONS`` is the single table the configuration reference (docs/configuration.md) is checked
against.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Final

from llm_agent._secrets import scrub_secrets
from llm_agent.instrumentation._registry import INSTRUMENTORS

#: Where the local SQLite sink lives unless ``sink_path`` / ``LLM_AGENT_SINK_PATH`` says otherwise.
DEFAULT_SINK_PATH: Final = os.path.join(os.path.expanduser("~"), ".llm_agent", "sink.sqlite")
DEFAULT_BACKENDS: Final = ("sqlite",)
#: Captured prompt/completion text is cut to this many characters per attribute.
DEFAULT_CONTENT_MAX_CHARS: Final = 8192
DEFAULT_MAX_QUEUE_SIZE: Final = 2048
#: Estimated bytes of the spans queued per backend (their text attributes, plus a fixed cost per
#: span) past which new spans are dropped: a queue of 2048 spans without content holds ~2 MiB, so
#: this bound matters only for captured content (2048 spans of 20k-character prompts would be ~80 MiB).
DEFAULT_MAX_QUEUE_BYTES: Final = 32 * 1024 * 1024
DEFAULT_MAX_EXPORT_BATCH_SIZE: Final = 512
DEFAULT_SCHEDULE_DELAY_S: Final = 1.0
DEFAULT_EXPORT_TIMEOUT_S: Final = 10.0
DEFAULT_SHUTDOWN_TIMEOUT_S: Final = 5.0
DEFAULT_RETRY_MAX_TIME_S: Final = 30.0
#: 0 keeps everything; otherwise the sqlite sink deletes spans older than this many days.
DEFAULT_RETENTION_DAYS: Final = 0.0
#: Session and user IDs longer than this are rejected (they are meant to be keys, not payloads).
MAX_ID_LENGTH: Final = 256

#: The OpenTelemetry GenAI instrumentations' content switch, honoured as opentelemetry-util-genai reads it.
STANDARD_CONTENT_ENV: Final = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
#: ``content_mode`` values: captured content on the span, on its event, or on both.
CONTENT_ON_SPAN: Final = "span"
CONTENT_ON_EVENT: Final = "event"
CONTENT_ON_SPAN_AND_EVENT: Final = "span_and_event"
CONTENT_MODES: Final = (CONTENT_ON_SPAN, CONTENT_ON_EVENT, CONTENT_ON_SPAN_AND_EVENT)
#: The standard variable's values (upper-cased) -> (capture_content, content_mode).
_STANDARD_CONTENT_VALUES: Final[dict[str, tuple[bool, str]]] = {
    "TRUE": (True, CONTENT_ON_SPAN),
    "FALSE": (False, CONTENT_ON_SPAN),
    "NO_CONTENT": (False, CONTENT_ON_SPAN),
    "SPAN_ONLY": (True, CONTENT_ON_SPAN),
    "EVENT_ONLY": (True, CONTENT_ON_EVENT),
    "SPAN_AND_EVENT": (True, CONTENT_ON_SPAN_AND_EVENT),
}
logger = logging.getLogger("llm_agent.config")
#: Unknown values of the standard variable already logged (logged once each per process).
_logged_standard_values: set[str] = set()

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the option and its variable.

    The message quotes the value given, which may be a URL with credentials or a key pasted into
    the wrong variable: it is scrubbed (``_secrets.scrub_secrets``) like everything we print.
    """

    def __init__(self, message: str) -> None:
        super().__init__(scrub_secrets(message))


@dataclass(frozen=True, slots=True)
class Option:
    name: str
    env: str
    default: Any
    kind: str  # "bool", "int", "float", "str", "list", "map", "backends", "prices"
    doc: str
    minimum: float | None = None
    extra_env: tuple[str, ...] = ()  # other variables honoured, lower precedence


OPTIONS: Final[tuple[Option, ...]] = (
    Option(
        "service_name",
        "LLM_AGENT_SERVICE_NAME",
        None,
        "str",
        "service.name of the spans; else OTEL_SERVICE_NAME, else the script's name.",
        extra_env=("OTEL_SERVICE_NAME",),
    ),
    Option(
        "backends",
        "LLM_AGENT_BACKENDS",
        DEFAULT_BACKENDS,
        "backends",
        "Where spans go: names (sqlite, otlp, http, console, memory, entry-point plug-ins), "
        "Backend objects or OpenTelemetry SpanExporters. Comma-separated in the variable.",
    ),
    Option("sink_path", "LLM_AGENT_SINK_PATH", DEFAULT_SINK_PATH, "str", "The SQLite sink file."),
    Option(
        "capture_content",
        "LLM_AGENT_CAPTURE_CONTENT",
        False,
        "bool",
        "Record prompts, completions and tool arguments (off: privacy by default). The standard "
        "variable takes true/false or NO_CONTENT/SPAN_ONLY/EVENT_ONLY/SPAN_AND_EVENT (any case; it sets "
        "content_mode too, unless given); an unknown value is logged once and means no content. "
        "llm_agent's own option wins over it.",
        extra_env=(STANDARD_CONTENT_ENV,),
    ),
    Option(
        "content_mode",
        "LLM_AGENT_CONTENT_MODE",
        CONTENT_ON_SPAN,
        "str",
        "Where captured content goes: span (the span's gen_ai.input.messages... attributes), event "
        "(only the span's gen_ai.client.inference.operation.details event) or span_and_event.",
    ),
    Option(
        "content_max_chars",
        "LLM_AGENT_CONTENT_MAX_CHARS",
        DEFAULT_CONTENT_MAX_CHARS,
        "int",
        "Captured content is truncated to this many characters per attribute.",
        minimum=1,
    ),
    Option(
        "instrument",
        "LLM_AGENT_INSTRUMENT",
        None,
        "list",
        f"Libraries to instrument ({', '.join(INSTRUMENTORS)}); "
        "default every supported library installed. An empty value instruments nothing.",
    ),
    Option(
        "inject_stream_usage",
        "LLM_AGENT_INJECT_STREAM_USAGE",
        False,
        "bool",
        "Ask OpenAI streams for a usage chunk (stream_options.include_usage) and hide that extra chunk from the app.",
    ),
    Option(
        "session_from_request",
        "LLM_AGENT_SESSION_FROM_REQUEST",
        False,
        "bool",
        "Take session/user IDs from the OpenAI request's metadata (session_id, user_id), "
        "`user` and `safety_identifier` fields when no session context is set.",
    ),
    Option(
        "arms_compat",
        "LLM_AGENT_ARMS_COMPAT",
        True,
        "bool",
        "Also write the names Alibaba Cloud ARMS reads (gen_ai.session.id, gen_ai.user.id, gen_ai.span.kind, "
        "gen_ai.usage.total_tokens, gen_ai.response.time_to_first_token) and record the ARMS agent's metrics "
        "(genai_calls_count...): docs/data-model.md.",
    ),
    Option(
        "direct_spans",
        "LLM_AGENT_DIRECT_SPANS",
        True,
        "bool",
        "The direct span path: when only llm_agent listens on the tracer provider, hand our finished "
        "spans to our processors directly (the same spans, without the SDK's mutable-span machinery, "
        "built on the export thread from what the call left); off: always the SDK's start_span, on the "
        "app's thread.",
    ),
    Option(
        "baggage",
        "LLM_AGENT_BAGGAGE",
        True,
        "bool",
        "Read session.id/user.id from W3C baggage and put them in baggage for downstream calls.",
    ),
    Option(
        "default_session_id",
        "LLM_AGENT_SESSION_ID",
        None,
        "str",
        "Session ID for spans outside any session() context (batch jobs).",
    ),
    Option(
        "default_user_id", "LLM_AGENT_USER_ID", None, "str", "User ID for spans outside any user()/session() context."
    ),
    Option(
        "provider_map",
        "LLM_AGENT_PROVIDER_MAP",
        None,
        "map",
        "Extra base-URL host -> gen_ai.provider.name mappings, e.g. 'llm.internal=vllm'.",
    ),
    Option(
        "max_queue_size",
        "LLM_AGENT_MAX_QUEUE_SIZE",
        DEFAULT_MAX_QUEUE_SIZE,
        "int",
        "Spans buffered per backend before new ones are dropped (never blocks).",
        minimum=1,
    ),
    Option(
        "max_queue_bytes",
        "LLM_AGENT_MAX_QUEUE_BYTES",
        DEFAULT_MAX_QUEUE_BYTES,
        "int",
        "Estimated bytes of spans buffered per backend (their text attributes + ~1 KiB each, measured "
        "once 256 are queued) before new ones are dropped as queue_full: bounds memory when captured "
        "content meets a slow backend.",
        minimum=1,
    ),
    Option(
        "max_export_batch_size",
        "LLM_AGENT_MAX_EXPORT_BATCH_SIZE",
        DEFAULT_MAX_EXPORT_BATCH_SIZE,
        "int",
        "Spans per export call.",
        minimum=1,
    ),
    Option(
        "schedule_delay_s",
        "LLM_AGENT_SCHEDULE_DELAY_S",
        DEFAULT_SCHEDULE_DELAY_S,
        "float",
        "Longest wait before a partial batch is exported.",
        minimum=0.0,
    ),
    Option(
        "export_timeout_s",
        "LLM_AGENT_EXPORT_TIMEOUT_S",
        DEFAULT_EXPORT_TIMEOUT_S,
        "float",
        "Timeout of one export request.",
        minimum=0.0,
    ),
    Option(
        "shutdown_timeout_s",
        "LLM_AGENT_SHUTDOWN_TIMEOUT_S",
        DEFAULT_SHUTDOWN_TIMEOUT_S,
        "float",
        "Longest time shutdown() and the exit hook spend flushing.",
        minimum=0.0,
    ),
    Option(
        "retry_max_time_s",
        "LLM_AGENT_RETRY_MAX_TIME_S",
        DEFAULT_RETRY_MAX_TIME_S,
        "float",
        "Longest total time spent retrying one batch.",
        minimum=0.0,
    ),
    Option(
        "prices",
        "LLM_AGENT_PRICES",
        None,
        "prices",
        "Price overrides for USD cost: a JSON or TOML file (or, to init(), a dict) of USD per million tokens "
        "per model, which win over genai-prices' table (docs/cost.md). A malformed file fails here, naming "
        "the file and the key.",
    ),
    Option(
        "retention_days",
        "LLM_AGENT_RETENTION_DAYS",
        DEFAULT_RETENTION_DAYS,
        "float",
        "The sqlite sink deletes spans older than this (0 keeps everything).",
        minimum=0.0,
    ),
)
OPTIONS_BY_NAME: Final = {o.name: o for o in OPTIONS}


def _where(opt: Option) -> str:
    return f"option {opt.name!r} (env {opt.env})"


def _parse_bool(opt: Option, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
        return raw.strip().lower() in _TRUE
    raise ConfigError(f"{_where(opt)}: expected a boolean (true/false/1/0/yes/no/on/off), got {raw!r}")


def _parse_number(opt: Option, raw: Any, cast: Callable[[Any], Any]) -> Any:
    if isinstance(raw, bool):
        raise ConfigError(f"{_where(opt)}: expected a number, got {raw!r}")
    try:
        value = cast(raw.strip() if isinstance(raw, str) else raw)
        if cast is int and isinstance(raw, float) and raw != int(raw):
            raise ValueError
    except (TypeError, ValueError):
        kind = "an integer" if cast is int else "a number"
        raise ConfigError(f"{_where(opt)}: expected {kind}, got {raw!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ConfigError(f"{_where(opt)}: expected a finite number, got {raw!r}")
    if opt.minimum is not None and value < opt.minimum:
        raise ConfigError(f"{_where(opt)}: must be >= {opt.minimum:g}, got {raw!r}")
    return value


def _parse_list(opt: Option, raw: Any) -> tuple[Any, ...]:
    if isinstance(raw, str):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if isinstance(raw, (list, tuple, set, frozenset)):
        return tuple(raw)
    if opt.kind == "backends":
        return (raw,)  # a single Backend or SpanExporter object
    raise ConfigError(f"{_where(opt)}: expected a list or a comma-separated string, got {raw!r}")


def _parse_map(opt: Option, raw: Any) -> dict[str, str]:
    if isinstance(raw, Mapping):
        return {str(k).lower(): str(v) for k, v in raw.items()}
    if isinstance(raw, str):
        out: dict[str, str] = {}
        for part in (p.strip() for p in raw.split(",")):
            if not part:
                continue
            key, sep, value = part.partition("=")
            if not sep or not key.strip() or not value.strip():
                raise ConfigError(f"{_where(opt)}: expected 'host=provider,...', got {raw!r}")
            out[key.strip().lower()] = value.strip()
        return out
    raise ConfigError(f"{_where(opt)}: expected a mapping or 'host=provider,...', got {raw!r}")


def _convert(opt: Option, raw: Any) -> Any:
    if raw is None:
        return None
    if opt.kind == "bool":
        return _parse_bool(opt, raw)
    if opt.kind == "int":
        return _parse_number(opt, raw, int)
    if opt.kind == "float":
        return _parse_number(opt, raw, float)
    if opt.kind in ("list", "backends"):
        return _parse_list(opt, raw)
    if opt.kind == "map":
        return _parse_map(opt, raw)
    if opt.kind == "prices":
        from llm_agent import _cost

        try:
            return _cost.load(raw)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{_where(opt)}: {exc}") from None
    if not isinstance(raw, str):
        raise ConfigError(f"{_where(opt)}: expected a string, got {raw!r}")
    return raw


def _default_service_name() -> str:
    argv0 = sys.argv[0] if sys.argv and sys.argv[0] else ""
    base = os.path.splitext(os.path.basename(argv0))[0]
    return base if base and base not in ("-c", "-m") else "unknown_service"


@dataclass(frozen=True, slots=True)
class Settings:
    """Resolved, validated options.  Build with ``Settings.resolve(**overrides)``."""

    service_name: str = "unknown_service"
    backends: tuple[Any, ...] = DEFAULT_BACKENDS
    sink_path: str = DEFAULT_SINK_PATH
    capture_content: bool = False
    content_mode: str = CONTENT_ON_SPAN
    content_max_chars: int = DEFAULT_CONTENT_MAX_CHARS
    instrument: tuple[str, ...] | None = None
    inject_stream_usage: bool = False
    session_from_request: bool = False
    arms_compat: bool = True
    direct_spans: bool = True
    baggage: bool = True
    default_session_id: str | None = None
    default_user_id: str | None = None
    provider_map: dict[str, str] = field(default_factory=dict)
    max_queue_size: int = DEFAULT_MAX_QUEUE_SIZE
    max_queue_bytes: int = DEFAULT_MAX_QUEUE_BYTES
    max_export_batch_size: int = DEFAULT_MAX_EXPORT_BATCH_SIZE
    schedule_delay_s: float = DEFAULT_SCHEDULE_DELAY_S
    export_timeout_s: float = DEFAULT_EXPORT_TIMEOUT_S
    shutdown_timeout_s: float = DEFAULT_SHUTDOWN_TIMEOUT_S
    retry_max_time_s: float = DEFAULT_RETRY_MAX_TIME_S
    prices: Any = None  # llm_agent._cost.Overrides, validated from a file or a dict
    retention_days: float = DEFAULT_RETENTION_DAYS

    @classmethod
    def resolve(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Arguments (``None`` = not given) over ``LLM_AGENT_*`` variables over defaults."""
        env = os.environ if environ is None else environ
        unknown = set(overrides) - set(OPTIONS_BY_NAME)
        if unknown:
            raise ConfigError(f"unknown option(s) {sorted(unknown)}; accepted: {sorted(OPTIONS_BY_NAME)}")
        values: dict[str, Any] = {}
        given: set[str] = set()  # options set by an argument or their own LLM_AGENT_* variable
        for opt in OPTIONS:
            raw = overrides.get(opt.name)
            if raw is None:
                raw = env.get(opt.env)
            if raw is not None:
                given.add(opt.name)
            else:
                for var in opt.extra_env:
                    if var != STANDARD_CONTENT_ENV and env.get(var) is not None:  # that one: below
                        raw = env[var]
                        break
            value = _convert(opt, raw)
            if value is None:
                value = opt.default
            values[opt.name] = value
        standard = env.get(STANDARD_CONTENT_ENV)
        if standard is not None and "capture_content" not in given:
            capture, mode = standard_content_switch(standard)
            values["capture_content"] = capture
            if "content_mode" not in given:
                values["content_mode"] = mode
        if values["content_mode"] not in CONTENT_MODES:
            raise ConfigError(
                f"{_where(OPTIONS_BY_NAME['content_mode'])}: expected one of {', '.join(CONTENT_MODES)}, "
                f"got {values['content_mode']!r}"
            )
        if not values["service_name"]:
            values["service_name"] = _default_service_name()
        if values["provider_map"] is None:
            values["provider_map"] = {}
        if not values["sink_path"]:
            raise ConfigError(f"{_where(OPTIONS_BY_NAME['sink_path'])}: must not be empty")
        values["sink_path"] = os.path.expanduser(values["sink_path"])
        for name in ("default_session_id", "default_user_id"):
            if values[name] is not None:
                try:
                    values[name] = validate_id(values[name], _where(OPTIONS_BY_NAME[name]))
                except ValueError as exc:
                    raise ConfigError(str(exc)) from None
        batch_given = overrides.get("max_export_batch_size") is not None or (
            env.get(OPTIONS_BY_NAME["max_export_batch_size"].env) is not None
        )
        if values["max_export_batch_size"] > values["max_queue_size"] and not batch_given:
            # A small queue with the default batch: export whole queues rather than fail.
            values["max_export_batch_size"] = values["max_queue_size"]
        if values["max_export_batch_size"] > values["max_queue_size"]:
            raise ConfigError(
                f"{_where(OPTIONS_BY_NAME['max_export_batch_size'])}: must be <= max_queue_size "
                f"({values['max_queue_size']}), got {values['max_export_batch_size']}"
            )
        if values["instrument"] is not None:
            bad = [n for n in values["instrument"] if n not in INSTRUMENTORS]
            if bad:
                raise ConfigError(
                    f"{_where(OPTIONS_BY_NAME['instrument'])}: unknown librar{'y' if len(bad) == 1 else 'ies'} "
                    f"{bad}; accepted: {sorted(INSTRUMENTORS)}"
                )
        return cls(**values)


def standard_content_switch(raw: str) -> tuple[bool, str]:
    """``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` -> (capture_content, content_mode).

    The values the OpenTelemetry GenAI instrumentations accept, case-insensitive: ``true`` /
    ``false`` (the older instrumentations) and opentelemetry-util-genai's ``NO_CONTENT`` /
    ``SPAN_ONLY`` / ``EVENT_ONLY`` / ``SPAN_AND_EVENT``.  Empty means no content; anything else is
    logged once and means no content, as util-genai does (never a start-up error: the variable
    belongs to every instrumentation in the process, not to us).
    """
    value = raw.strip().upper()
    if not value:
        return False, CONTENT_ON_SPAN
    found = _STANDARD_CONTENT_VALUES.get(value)
    if found is not None:
        return found
    if value not in _logged_standard_values:
        _logged_standard_values.add(value)
        logger.warning(
            "%s=%r is not one of %s: capturing no content",
            STANDARD_CONTENT_ENV,
            raw,
            ", ".join(_STANDARD_CONTENT_VALUES),
        )
    return False, CONTENT_ON_SPAN


def validate_id(value: Any, what: str) -> str:
    """Session and user IDs: non-strings are converted (with a warning), empty/over-long rejected."""
    if not isinstance(value, str):
        import warnings

        warnings.warn(f"{what}: converting non-string ID {value!r} to str", stacklevel=3)
    text = value if isinstance(value, str) else str(value)
    if not text:
        raise ValueError(f"{what}: must not be empty")
    if len(text) > MAX_ID_LENGTH:
        raise ValueError(f"{what}: at most {MAX_ID_LENGTH} characters, got {len(text)}")
    return text


SETTINGS_FIELDS: Final = tuple(f.name for f in fields(Settings))
assert set(SETTINGS_FIELDS) == set(OPTIONS_BY_NAME), "every Settings field needs an Option row"
