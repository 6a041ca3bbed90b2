"""The A/B benchmark harness runs end to end, and its pass-through control puts everything back.

No timing is asserted (CI machines are noisy): only that every row is measured and printed, and
that the control measures a wrapper that calls through instead of llm_agent's, then restores ours.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("openai")

ROOT = Path(__file__).resolve().parents[2]
AB = ROOT / "benchmarks" / "overhead" / "ab.py"
ROW = re.compile(r"^\| (?P<label>[^|]+?) \| (?P<bare>\d+) \| (?P<inst>\d+) \| [+-]\d+\.\d \| [+-]\d+\.\d \| ")


def test_ab_prints_a_row_per_scenario_and_control() -> None:
    done = subprocess.run(
        [sys.executable, str(AB), "--calls", "40", "--scenarios", "chat,chat_stream,error", "--controls"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=str(ROOT),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    labels = [m["label"] for line in done.stdout.splitlines() if (m := ROW.match(line))]
    assert labels == [
        "chat",
        "chat: A/A",
        "chat: pass-through",
        "chat_stream",
        "chat_stream: A/A",
        "chat_stream: pass-through",
        "error",
        "error: A/A",
        "error: pass-through",
    ]
    assert done.stdout.splitlines()[0] == "A/B, llm_agent, discarding exporter, capture off"
    assert "internal errors: 0" in done.stdout


def test_passing_through_swaps_the_wrappers_and_restores_them() -> None:
    import openai
    import wrapt

    from llm_agent.testing import capture_spans

    sys.path.insert(0, str(AB.parent))
    try:
        import ab
        from subject import make_clients
    finally:
        sys.path.remove(str(AB.parent))

    with capture_spans(instrument=["openai"]) as spans:
        sync, _async, _server = make_clients("mock")
        assert isinstance(sync, openai.OpenAI)
        classes = [type(sync.chat.completions), type(sync.embeddings), type(sync.responses)]
        ours = [cls.__dict__["create"] for cls in classes]
        bare = [method.__wrapped__ for method in ours]
        with ab.passing_through(sync):
            inside = [cls.__dict__["create"] for cls in classes]
            assert all(isinstance(method, wrapt.FunctionWrapper) for method in inside)
            assert [method.__wrapped__ for method in inside] == bare
            assert all(a is not b for a, b in zip(inside, ours, strict=True))
            for _bare, through in ab.calls(sync).values():
                through()  # each scenario's "instrumented" side, through the pass-through wrapper
            assert spans.records == []  # nothing of llm_agent's ran
        assert [cls.__dict__["create"] for cls in classes] == ours
        sync.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
        assert [r.name for r in spans.records] == ["chat gpt-4o-mini"]
