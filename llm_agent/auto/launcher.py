"""``llm-agent-instrument``: run a command with llm_agent started in every Python process of it.

    llm-agent-instrument python app.py --port 8000
    llm-agent-instrument --session-id nightly-2024-06-01 -- ./run_batch.sh
    llm-agent-instrument --backends sqlite,otlp --service-name support-bot -- gunicorn app:wsgi

It puts the start-up hook's directory first on ``PYTHONPATH`` and replaces itself with the command
(``exec``), so signals, exit status and stdin/stdout are the app's own.  The options are shorthands
for ``LLM_AGENT_*`` variables; anything else is configured by the variables themselves.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from typing import Final

from llm_agent.auto import SITE_DIR

EXIT_USAGE: Final = 2
EXIT_NOT_FOUND: Final = 127  # what shells return for a command that does not exist

#: option -> (variable, takes a value)
OPTIONS: Final[dict[str, tuple[str, bool]]] = {
    "--service-name": ("LLM_AGENT_SERVICE_NAME", True),
    "--backends": ("LLM_AGENT_BACKENDS", True),
    "--sink-path": ("LLM_AGENT_SINK_PATH", True),
    "--session-id": ("LLM_AGENT_SESSION_ID", True),
    "--user-id": ("LLM_AGENT_USER_ID", True),
    "--instrument": ("LLM_AGENT_INSTRUMENT", True),
    "--capture-content": ("LLM_AGENT_CAPTURE_CONTENT", False),
}

USAGE: Final = """usage: llm-agent-instrument [options] [--] COMMAND [ARGS...]

Run COMMAND with llm_agent started in it and in every Python process it starts
(configured by the LLM_AGENT_* environment variables; see docs/configuration.md).

options (shorthands for the variables):
  --service-name NAME   LLM_AGENT_SERVICE_NAME
  --backends LIST       LLM_AGENT_BACKENDS, e.g. sqlite,otlp
  --sink-path PATH      LLM_AGENT_SINK_PATH
  --session-id ID       LLM_AGENT_SESSION_ID (spans outside any session() context)
  --user-id ID          LLM_AGENT_USER_ID
  --instrument LIST     LLM_AGENT_INSTRUMENT, e.g. openai
  --capture-content     LLM_AGENT_CAPTURE_CONTENT=true (record prompts and completions)
  -h, --help            show this help
"""


class UsageError(Exception):
    pass


def parse_args(argv: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """The variables to set and the command to run."""
    env: dict[str, str] = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            i += 1
            break
        if not arg.startswith("-") or arg == "-":
            break
        name, has_inline, inline = arg.partition("=")
        if name not in OPTIONS:
            raise UsageError(f"unknown option {arg!r} (put '--' before a command that starts with '-')")
        var, takes_value = OPTIONS[name]
        if not takes_value:
            if has_inline:
                raise UsageError(f"{name} takes no value")
            env[var] = "true"
        elif has_inline:
            env[var] = inline
        else:
            if i + 1 >= len(argv):
                raise UsageError(f"{name} needs a value")
            i += 1
            env[var] = argv[i]
        i += 1
    command = list(argv[i:])
    if not command:
        raise UsageError("no command given")
    return env, command


def child_environ(base: Mapping[str, str], extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` with the hook's directory first on PYTHONPATH (once) and ``extra`` applied."""
    env = dict(base)
    env.update(extra or {})
    own = os.path.realpath(SITE_DIR)
    rest = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and os.path.realpath(p) != own]
    env["PYTHONPATH"] = os.pathsep.join([SITE_DIR, *rest])
    return env


def _exec(command: list[str], env: dict[str, str]) -> int:
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "nt":  # no exec on Windows: run it and pass the status on
        try:
            return subprocess.call(command, env=env)
        except FileNotFoundError:
            print(f"llm-agent-instrument: command not found: {command[0]}", file=sys.stderr)
            return EXIT_NOT_FOUND
    try:
        os.execvpe(command[0], command, env)
    except FileNotFoundError:
        print(f"llm-agent-instrument: command not found: {command[0]}", file=sys.stderr)
        return EXIT_NOT_FOUND
    except PermissionError as exc:
        print(f"llm-agent-instrument: cannot run {command[0]}: {exc}", file=sys.stderr)
        return 126


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("-h", "--help"):
        print(USAGE, end="")
        return 0
    try:
        extra, command = parse_args(args)
    except UsageError as exc:
        print(f"llm-agent-instrument: {exc}\n\n{USAGE}", end="", file=sys.stderr)
        return EXIT_USAGE
    return _exec(command, child_environ(os.environ, extra))


if __name__ == "__main__":
    sys.exit(main())
