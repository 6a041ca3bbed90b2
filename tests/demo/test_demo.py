"""`llm-agent demo` end to end in a subprocess: the sink it writes and what it prints."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from llm_agent._demo import workload

ROOT = Path(__file__).resolve().parents[2]


#: The CLI with the OpenAI Agents SDK made unimportable, as where ``openai-agents`` is not installed.
WITHOUT_AGENTS_SDK = "import sys; sys.modules['agents'] = None; from llm_agent.cli import main; sys.exit(main())"


def _demo(db: Path, *args: str, agents_sdk: bool = False) -> subprocess.CompletedProcess[str]:
    """The demo in a subprocess; without the Agents SDK unless asked (the workload of a plain install)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_AGENT_", "OPENAI_", "OTEL_"))}
    cli = ["-m", "llm_agent.cli"] if agents_sdk else ["-c", WITHOUT_AGENTS_SDK]
    return subprocess.run(
        [sys.executable, *cli, "demo", "--db", str(db), *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def _sessions(db: Path) -> list[tuple[str, str, int]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT session_id, user_id, COUNT(DISTINCT trace_id) FROM spans "
            "WHERE session_id IS NOT NULL GROUP BY session_id ORDER BY session_id"
        ).fetchall()


def test_demo_records_the_planned_sessions_and_prints_the_analysis(tmp_path: Path) -> None:
    db = tmp_path / "demo.sqlite"
    result = _demo(db, "--sessions", "8", "--seed", "3", "--workers", "2", "--latency-scale", "0.02")
    assert result.returncode == 0, result.stderr
    plans = workload.plan(8, 3, run_tag="x")
    got = _sessions(db)
    tag = got[0][0].split("-")[1]
    # Every planned session is there, with its user, and one trace per turn (a retried turn stays one trace).
    assert got == [(p.session_id.replace("-x-", f"-{tag}-"), p.user_id, p.turns) for p in plans]
    out = result.stdout
    assert out.startswith("Sessions of this run, most tokens first (llm-agent sessions):\nsession ")
    assert "\nModels (llm-agent models):\nmodel " in out
    assert all(p.session_id.replace("-x-", f"-{tag}-") in out for p in plans)
    assert "llm-agent sessions --db" in out and "--min-tokens 3000" in out and "llm-agent ui --db" in out
    assert f"[{'#' * 30}] {sum(p.turns for p in plans)}/{sum(p.turns for p in plans)} turns" in result.stderr
    # Without the Agents SDK the workload is the plain one, and the demo says once what would add the SDK's.
    assert result.stderr.count("installing llm-agent[openai-agents] adds an OpenAI Agents SDK workload") == 1
    assert "Agents SDK conversation" not in out
    with sqlite3.connect(db) as conn:
        models = {
            m for (m,) in conn.execute("SELECT DISTINCT model FROM spans WHERE span_kind IN ('LLM', 'EMBEDDING')")
        }
        tool_spans = conn.execute(
            "SELECT COUNT(*) FROM spans WHERE span_kind = 'TOOL' AND session_id IS NULL"
        ).fetchone()
    assert len(models) >= 3
    assert tool_spans == (0,)  # the tool spans got the session stamped too
    _assert_agent_trees(db, [p.session_id.replace("-x-", f"-{tag}-") for p in plans if p.scenario == "agent"])
    _assert_retrievals(db, [p.session_id.replace("-x-", f"-{tag}-") for p in plans if p.scenario == "research"])


def _spans_of(db: Path, session_id: str) -> list[dict[str, object]]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute(
            "SELECT trace_id, span_id, parent_span_id, name, span_kind, status, attributes FROM spans "
            "WHERE session_id = ? ORDER BY start_ns, span_id", (session_id,)
        ).fetchall()
    return [{**dict(r), "attributes": json.loads(r["attributes"])} for r in rows]


def _assert_agent_trees(db: Path, session_ids: list[str]) -> None:
    """Every agent turn is one tree: the agent at the root, its LLM calls and tool runs below it."""
    assert session_ids  # the seed plans an agent session
    tools = 0
    for session_id in session_ids:
        spans = _spans_of(db, session_id)
        by_id = {s["span_id"]: s for s in spans}
        roots = [s for s in spans if s["parent_span_id"] is None]
        assert {(r["name"], r["span_kind"]) for r in roots} == {("invoke_agent support-agent", "AGENT")}
        assert len(roots) == len({s["trace_id"] for s in spans})
        for span in spans:
            if span["parent_span_id"] is not None:
                parent = by_id[span["parent_span_id"]]
                assert (parent["span_kind"], span["span_kind"] in ("LLM", "TOOL")) == ("AGENT", True), span["name"]
            if span["span_kind"] == "TOOL":
                tools += 1
                attrs = span["attributes"]
                assert span["name"] == f"execute_tool {attrs['gen_ai.tool.name']}"
                assert attrs["gen_ai.tool.call.id"].startswith("call_")
                assert isinstance(json.loads(attrs["gen_ai.tool.call.arguments"]), dict)  # the demo captures content
                assert isinstance(json.loads(attrs["gen_ai.tool.call.result"]), dict)
    assert tools > 0


def _assert_retrievals(db: Path, session_ids: list[str]) -> None:
    """Each research turn retrieves (its embeddings call inside the retrieval span) and counts documents."""
    assert session_ids
    retrievals = 0
    for session_id in session_ids:
        spans = _spans_of(db, session_id)
        by_id = {s["span_id"]: s for s in spans}
        for span in spans:
            if span["span_kind"] == "RETRIEVER":
                retrievals += 1
                assert (span["name"], by_id[span["parent_span_id"]]["span_kind"]) == ("retrieval help-center", "CHAIN")
                if span["status"] != "ERROR":
                    assert span["attributes"]["llm_agent.retrieval.document_count"] == 3
            if span["span_kind"] == "EMBEDDING":
                assert by_id[span["parent_span_id"]]["span_kind"] == "RETRIEVER"
    assert retrievals > 0


def test_rerunning_adds_sessions(tmp_path: Path) -> None:
    db = tmp_path / "demo.sqlite"
    for _ in range(2):
        result = _demo(db, "--sessions", "3", "--seed", "5", "--latency-scale", "0")
        assert result.returncode == 0, result.stderr
    got = _sessions(db)
    assert len(got) == 6
    assert len({sid.split("-")[1] for sid, _, _ in got}) == 2  # two runs, distinct session IDs


def test_bad_arguments(tmp_path: Path) -> None:
    result = _demo(tmp_path / "x.sqlite", "--sessions", "0")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "llm-agent demo: --sessions and --workers must be >= 1, --latency-scale >= 0\n"


def test_db_before_the_command_is_passed_on(tmp_path: Path) -> None:
    db = tmp_path / "top.sqlite"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_AGENT_", "OPENAI_", "OTEL_"))}
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_AGENTS_SDK, "--db", str(db), "demo", "--sessions", "1", "--latency-scale", "0"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert len(_sessions(db)) == 1
