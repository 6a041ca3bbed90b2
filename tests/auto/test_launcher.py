"""``llm-agent-instrument`` with real subprocesses: unmodified apps, chained sitecustomize, children, bad config."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from auto_helpers import PLAIN_APP, base_env, run, run_instrumented, sink_rows, write

from llm_agent._demo.server import DemoServer
from llm_agent.auto import SITE_DIR
from llm_agent.auto.launcher import UsageError, child_environ, parse_args


def _chat_row(session: str | None, user: str | None, service: str, tokens: tuple[int, int]) -> dict:
    return {
        "name": "chat gpt-4o-mini", "session_id": session, "user_id": user, "span_kind": "LLM",
        "model": "gpt-4o-mini", "response_model": "gpt-4o-mini-2024-07-18", "input_tokens": tokens[0],
        "output_tokens": tokens[1], "service_name": service, "status": "UNSET",
    }  # fmt: skip


def _tokens(stdout: str) -> tuple[int, int]:
    line = next(x for x in stdout.splitlines() if x.startswith("tokens:"))
    a, b = line.split()[1:]
    return int(a), int(b)


def test_unmodified_script_is_recorded_with_the_batch_session(tmp_path: Path, server: DemoServer) -> None:
    app = write(tmp_path / "app.py", PLAIN_APP)
    env = base_env(tmp_path, server, LLM_AGENT_SESSION_ID="nightly-42", LLM_AGENT_USER_ID="batch")
    with DemoServer(latency_scale=0.0) as plain_server:  # the same app, same answers, without llm_agent
        plain = run([sys.executable, str(app)], base_env(tmp_path / "plain", plain_server))
    result = run_instrumented([sys.executable, str(app)], env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == plain.stdout
    assert sink_rows(tmp_path / "sink.sqlite") == [_chat_row("nightly-42", "batch", "app", _tokens(result.stdout))]
    assert not (tmp_path / "plain" / "sink.sqlite").exists()


def test_launcher_options_set_the_variables(tmp_path: Path, server: DemoServer) -> None:
    app = write(tmp_path / "app.py", PLAIN_APP)
    sink = tmp_path / "other.sqlite"
    env = base_env(tmp_path, server)
    result = run_instrumented(
        ["--session-id", "s-1", "--user-id=u-1", "--service-name", "svc", "--sink-path", str(sink),
         "--", sys.executable, str(app)],
        env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert sink_rows(sink) == [_chat_row("s-1", "u-1", "svc", _tokens(result.stdout))]


def test_existing_sitecustomize_still_runs(tmp_path: Path, server: DemoServer) -> None:
    theirs = tmp_path / "their_site"
    write(theirs / "sitecustomize.py", """
        import os
        os.environ["THEIR_SITECUSTOMIZE"] = "ran"
        """)  # fmt: skip
    app = write(tmp_path / "app.py", "import os\nprint('theirs:', os.environ.get('THEIR_SITECUSTOMIZE'))\n" + PLAIN_APP)
    env = base_env(tmp_path, server, PYTHONPATH=str(theirs), LLM_AGENT_SESSION_ID="s-chain")
    result = run_instrumented([sys.executable, str(app)], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "theirs: ran"
    assert [r["session_id"] for r in sink_rows(tmp_path / "sink.sqlite")] == ["s-chain"]


def test_failing_other_sitecustomize_is_reported_like_python_does(tmp_path: Path, server: DemoServer) -> None:
    theirs = tmp_path / "their_site"
    write(theirs / "sitecustomize.py", "raise RuntimeError('their hook is broken')\n")
    app = write(tmp_path / "app.py", PLAIN_APP)
    result = run_instrumented([sys.executable, str(app)], base_env(tmp_path, server, PYTHONPATH=str(theirs)))
    assert result.returncode == 0
    assert result.stderr == (
        "Error in sitecustomize; set PYTHONVERBOSE for traceback:\nRuntimeError: their hook is broken\n"
    )
    assert len(sink_rows(tmp_path / "sink.sqlite")) == 1


def test_python_child_processes_are_instrumented(tmp_path: Path, server: DemoServer) -> None:
    write(tmp_path / "child.py", PLAIN_APP)
    parent = write(tmp_path / "parent.py", f"""
        import os, subprocess, sys
        {PLAIN_APP.strip().replace(chr(10), chr(10) + '        ')}
        env = dict(os.environ, LLM_AGENT_SESSION_ID="child-session")
        out = subprocess.run([sys.executable, {str(tmp_path / "child.py")!r}], env=env, check=True,
                             capture_output=True, text=True).stdout
        print("child", out.splitlines()[0])
        # A non-Python child is untouched (it only sees PYTHONPATH).
        print(subprocess.run(["sh", "-c", "echo plain"], capture_output=True, text=True).stdout.strip())
        """)  # fmt: skip
    result = run_instrumented(
        [sys.executable, str(parent)], base_env(tmp_path, server, LLM_AGENT_SESSION_ID="parent-s")
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines()[-1] == "plain"
    rows = sink_rows(tmp_path / "sink.sqlite")
    assert sorted((r["session_id"], r["service_name"], r["name"]) for r in rows) == [
        ("child-session", "child", "chat gpt-4o-mini"),
        ("parent-s", "parent", "chat gpt-4o-mini"),
    ]


def test_bad_setting_prints_one_line_and_the_app_runs_unchanged(tmp_path: Path, server: DemoServer) -> None:
    app = write(tmp_path / "app.py", PLAIN_APP)
    with DemoServer(latency_scale=0.0) as plain_server:
        plain = run([sys.executable, str(app)], base_env(tmp_path / "plain", plain_server))
    env = base_env(tmp_path, server, LLM_AGENT_MAX_QUEUE_SIZE="lots")
    result = run_instrumented([sys.executable, str(app)], env)
    assert result.returncode == 0
    assert result.stdout == plain.stdout
    assert result.stderr == (
        "llm_agent: auto-instrumentation is off (the app runs uninstrumented): option 'max_queue_size' "
        "(env LLM_AGENT_MAX_QUEUE_SIZE): expected an integer, got 'lots'\n"
    )
    assert not (tmp_path / "sink.sqlite").exists()


def test_app_calling_init_itself_records_each_call_once(tmp_path: Path, server: DemoServer) -> None:
    app = write(tmp_path / "app.py", "import llm_agent\nllm_agent.init()\n" + PLAIN_APP)
    result = run_instrumented([sys.executable, str(app)], base_env(tmp_path, server, LLM_AGENT_SESSION_ID="once"))
    assert result.returncode == 0, result.stderr
    assert [r["name"] for r in sink_rows(tmp_path / "sink.sqlite")] == ["chat gpt-4o-mini"]


def test_nested_launchers_record_each_call_once(tmp_path: Path, server: DemoServer) -> None:
    app = write(tmp_path / "app.py", PLAIN_APP)
    result = run_instrumented(
        [sys.executable, "-m", "llm_agent.auto.launcher", sys.executable, str(app)], base_env(tmp_path, server)
    )
    assert result.returncode == 0, result.stderr
    assert [r["name"] for r in sink_rows(tmp_path / "sink.sqlite")] == ["chat gpt-4o-mini"]


def test_non_python_command_after_double_dash(tmp_path: Path, server: DemoServer) -> None:
    env = base_env(tmp_path, server, PYTHONPATH=os.pathsep.join(["/opt/theirs", SITE_DIR]))
    result = run_instrumented(["--", "sh", "-c", 'echo "$PYTHONPATH|$LLM_AGENT_CAPTURE_CONTENT"'], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{SITE_DIR}{os.pathsep}/opt/theirs|\n"


def test_exit_status_and_missing_command(tmp_path: Path, server: DemoServer) -> None:
    env = base_env(tmp_path, server)
    assert run_instrumented(["sh", "-c", "exit 7"], env).returncode == 7
    missing = run_instrumented(["no-such-command-for-llm-agent"], env)
    assert (missing.returncode, missing.stderr) == (
        127,
        "llm-agent-instrument: command not found: no-such-command-for-llm-agent\n",
    )
    usage = run_instrumented([], env)
    assert usage.returncode == 2
    assert usage.stderr.startswith("llm-agent-instrument: no command given\n")


def test_parse_args() -> None:
    assert parse_args(["python", "app.py", "--session-id", "x"]) == ({}, ["python", "app.py", "--session-id", "x"])
    assert parse_args(["--capture-content", "--backends=sqlite,otlp", "--", "-weird"]) == (
        {"LLM_AGENT_CAPTURE_CONTENT": "true", "LLM_AGENT_BACKENDS": "sqlite,otlp"},
        ["-weird"],
    )
    for bad, message in (
        (["--nope", "x"], "unknown option '--nope'"),
        (["--session-id"], "--session-id needs a value"),
        (["--capture-content=yes", "x"], "--capture-content takes no value"),
        (["--"], "no command given"),
    ):
        try:
            parse_args(bad)
        except UsageError as exc:
            assert str(exc).startswith(message)
        else:
            raise AssertionError(f"{bad} was accepted")


def test_child_environ_puts_the_hook_first_once() -> None:
    env = child_environ({"PYTHONPATH": os.pathsep.join(["a", SITE_DIR, "b"]), "X": "1"}, {"LLM_AGENT_USER_ID": "u"})
    assert env == {"PYTHONPATH": os.pathsep.join([SITE_DIR, "a", "b"]), "X": "1", "LLM_AGENT_USER_ID": "u"}
    assert child_environ({})["PYTHONPATH"] == SITE_DIR


def test_interpreter_without_llm_agent_runs_the_app_and_the_other_hook(tmp_path: Path, server: DemoServer) -> None:
    import venv

    bare = tmp_path / "bare-venv"  # a Python child of a different environment: no openai, no opentelemetry
    venv.EnvBuilder(with_pip=False).create(bare)
    python = bare / "bin" / "python"
    theirs = write(tmp_path / "their_site" / "sitecustomize.py", "import os\nos.environ['THEIRS'] = 'ran'\n").parent
    app = write(tmp_path / "app.py", "import os\nprint('hello', os.environ.get('THEIRS'))\n")
    env = base_env(tmp_path, server, PYTHONPATH=str(theirs))
    result = run_instrumented([str(python), str(app)], env)
    assert (result.returncode, result.stdout) == (0, "hello ran\n")
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"llm_agent: auto-instrumentation is off in {python}: cannot import llm_agent (")
