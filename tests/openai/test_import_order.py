"""Patching works whether ``openai`` is imported before or after ``init()`` (fresh interpreters)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import sys
{before}
import llm_agent
agent = llm_agent.init(backends=["memory"], instrument=["openai"])
{after}
from openai.resources.chat.completions import Completions
import wrapt
assert isinstance(Completions.__dict__["create"], wrapt.FunctionWrapper), "not patched"
llm_agent.shutdown()
assert not isinstance(Completions.__dict__["create"], wrapt.FunctionWrapper), "not restored"
print("ok")
"""


@pytest.mark.parametrize("order", ["before", "after"])
def test_import_order(order):
    code = SCRIPT.format(
        before="import openai" if order == "before" else "assert 'openai' not in sys.modules",
        after="import openai" if order == "after" else "",
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-3000:]
