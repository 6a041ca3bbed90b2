"""docs/configuration.md lists every option exactly as llm_agent.config defines it.

The table between the markers is generated from ``llm_agent.config.OPTIONS``; after changing an
option, regenerate it with ``LLM_AGENT_UPDATE_DOCS=1 python -m pytest tests/examples/test_configuration_doc.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

from llm_agent import config
from llm_agent.instrumentation._registry import INSTRUMENTORS

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
BEGIN, END = "<!-- options:begin (generated) -->", "<!-- options:end -->"

_RULES = {
    "bool": "boolean: true/false, 1/0, yes/no, on/off",
    "int": "integer",
    "float": "number",
    "str": "string",
    "list": "comma-separated names",
    "backends": "comma-separated names (or objects in code)",
    "map": "`host=provider,...`",
    "prices": "a JSON or TOML file (or a dict in code)",
}
_SPECIAL_DEFAULTS = {"service_name": "the script's name", "instrument": "every supported library installed"}
_EXTRA_RULES = {
    "sink_path": "must not be empty; `~` is expanded",
    "max_export_batch_size": "must be <= max_queue_size",
    "default_session_id": f"1-{config.MAX_ID_LENGTH} characters",
    "default_user_id": f"1-{config.MAX_ID_LENGTH} characters",
    "instrument": f"each name must be a supported library ({', '.join(INSTRUMENTORS)})",
    "content_mode": "one of " + ", ".join(f"`{m}`" for m in config.CONTENT_MODES),
}


def _default(opt: config.Option) -> str:
    if opt.name in _SPECIAL_DEFAULTS:
        return _SPECIAL_DEFAULTS[opt.name]
    value = opt.default
    if value is None:
        return "unset"
    if isinstance(value, tuple):
        return "`" + ",".join(value) + "`"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, str):
        return "`" + value.replace(os.path.expanduser("~"), "~") + "`"
    return f"`{value:g}`" if isinstance(value, float) else f"`{value}`"


def _rule(opt: config.Option) -> str:
    rule = _RULES[opt.kind]
    if opt.minimum is not None:
        rule += f" >= {opt.minimum:g}"
    if opt.name in _EXTRA_RULES:
        rule += "; " + _EXTRA_RULES[opt.name]
    return rule


def render() -> str:
    rows = ["| Option (`init(...)`) | Variable | Default | Accepted values | Meaning |", "|---|---|---|---|---|"]
    for opt in config.OPTIONS:
        env = f"`{opt.env}`" + "".join(f", then `{e}`" for e in opt.extra_env)
        doc = opt.doc.replace("|", "\\|")
        rows.append(f"| `{opt.name}` | {env} | {_default(opt)} | {_rule(opt)} | {doc} |")
    return "\n".join(rows)


def test_configuration_doc_matches_the_code() -> None:
    text = DOC.read_text()
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    expected = f"{head}{BEGIN}\n{render()}\n{END}{tail}"
    if os.environ.get("LLM_AGENT_UPDATE_DOCS") == "1":
        DOC.write_text(expected)
    assert text == expected, "docs/configuration.md is out of date: regenerate it (see this test's docstring)"
    assert set(config.SETTINGS_FIELDS) <= {o.name for o in config.OPTIONS}
    for name in config.SETTINGS_FIELDS:
        assert f"| `{name}` |" in text
