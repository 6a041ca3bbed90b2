"""SDK modules are patched when the app imports them, never imported by us (issue 25).

Each case runs in a fresh interpreter, because the point is which of the SDK's lazily loaded
resource modules are imported, and the test session has imported them all long ago.  The cases
use the real ``openai`` SDK (its resource modules load on first attribute access) through the
HTTP library's in-process mock transport, and the real pipeline with the memory backend.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("openai")

ROOT = Path(__file__).resolve().parents[2]

#: The script's preamble: a client on a mock transport answering a chat completion and embeddings.
PREAMBLE = """
import json, sys
import wrapt
import llm_agent
from llm_agent import _errors
from llm_agent.testing import capture_spans

CHAT = {"id": "c1", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Paris."}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}}
EMBEDDINGS = {"object": "list", "model": "text-embedding-3-small",
              "data": [{"object": "embedding", "index": 0, "embedding": [0.5]}],
              "usage": {"prompt_tokens": 3, "total_tokens": 3}}

def client():
    import openai
    try:
        import httpx2 as httpx
    except ImportError:
        import httpx
    def answer(request):
        body = CHAT if request.url.path.endswith("/chat/completions") else EMBEDDINGS
        return httpx.Response(200, json=body)
    return openai.OpenAI(api_key="test_openai_api_key", base_url="http://fake.test/v1", max_retries=0,
                         http_client=httpx.Client(transport=httpx.MockTransport(answer)))

def chat(c):
    c.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Capital of France?"}])

def embed(c):
    c.embeddings.create(model="text-embedding-3-small", input="Paris")

def loaded():
    return sorted(m for m in ("openai.resources.chat.completions", "openai.resources.embeddings",
                              "openai.resources.responses") if m in sys.modules)

def wrapped(module, cls="Completions", attr="create"):
    return isinstance(vars(getattr(sys.modules[module], cls))[attr], wrapt.FunctionWrapper)

out = {}
"""


def run(body: str) -> dict[str, Any]:
    script = PREAMBLE + textwrap.dedent(body) + "\nout['errors'] = len(_errors.collected)\nprint(json.dumps(out))\n"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_init_imports_no_resource_module_and_patches_each_on_import() -> None:
    out = run(
        """
        with capture_spans(instrument=["openai"]) as spans:
            import openai
            out["after_init"] = loaded()
            c = client()
            chat(c)
            llm_agent.flush()
            out["after_chat"] = loaded()
            out["chat_wrapped"] = wrapped("openai.resources.chat.completions")
            out["spans"] = [r.name for r in spans.records]
        """
    )
    assert out == {
        "after_init": [],
        # the app imported the chat resource; embeddings and Responses, never touched, stay unimported
        "after_chat": ["openai.resources.chat.completions"],
        "chat_wrapped": True,
        "spans": ["chat gpt-4o-mini"],
        "errors": 0,
    }


def test_init_after_the_sdk_is_imported_is_lazy_as_well() -> None:
    out = run(
        """
        import openai
        with capture_spans(instrument=["openai"]) as spans:
            out["after_init"] = loaded()
            embed(client())
            llm_agent.flush()
            out["after_call"] = loaded()
            out["spans"] = [r.name for r in spans.records]
        """
    )
    assert out == {
        "after_init": [],
        "after_call": ["openai.resources.embeddings"],
        "spans": ["embeddings text-embedding-3-small"],
        "errors": 0,
    }


def test_uninstrument_before_and_after_the_import() -> None:
    out = run(
        """
        with capture_spans(instrument=["openai"]) as spans:
            import openai
            c = client()
            chat(c)
            chat_cls = sys.modules["openai.resources.chat.completions"].Completions
            original = vars(chat_cls)["create"].__wrapped__
            # after the import: the original comes back, the very object
            llm_agent.uninstrument("openai")
            out["chat_restored"] = vars(chat_cls)["create"] is original
            # before the import: a module first imported while uninstrumented stays unpatched
            embed(c)
            out["embeddings_wrapped_while_off"] = wrapped("openai.resources.embeddings", "Embeddings")
            llm_agent.flush()
            out["spans_while_off"] = [r.name for r in spans.records]
            # instrument again: both imported modules patched at once, the unimported one on import
            llm_agent.instrument("openai")
            out["rewrapped"] = [wrapped("openai.resources.chat.completions"),
                                wrapped("openai.resources.embeddings", "Embeddings")]
            out["loaded_after_reinstrument"] = loaded()
            c.responses  # the app's first use of the Responses resource imports its module
            out["responses_wrapped"] = wrapped("openai.resources.responses", "Responses")
            chat(c)
            embed(c)
            llm_agent.flush()
            out["spans"] = [r.name for r in spans.records]
            # uninstrument twice: exact and idempotent
            llm_agent.uninstrument("openai")
            llm_agent.uninstrument("openai")
            out["all_restored"] = [wrapped("openai.resources.chat.completions"),
                                   wrapped("openai.resources.embeddings", "Embeddings"),
                                   wrapped("openai.resources.responses", "Responses")]
            out["chat_original_again"] = vars(chat_cls)["create"] is original
        """
    )
    assert out == {
        "chat_restored": True,
        "embeddings_wrapped_while_off": False,
        "spans_while_off": ["chat gpt-4o-mini"],
        "rewrapped": [True, True],
        "loaded_after_reinstrument": ["openai.resources.chat.completions", "openai.resources.embeddings"],
        "responses_wrapped": True,
        "spans": ["chat gpt-4o-mini", "chat gpt-4o-mini", "embeddings text-embedding-3-small"],
        "all_restored": [False, False, False],
        "chat_original_again": True,
        "errors": 0,
    }


def test_a_module_imported_after_uninstrument_is_left_alone() -> None:
    out = run(
        """
        with capture_spans(instrument=["openai"]) as spans:
            import openai
            llm_agent.uninstrument("openai")
            c = client()
            chat(c)
            llm_agent.flush()
            out["wrapped"] = wrapped("openai.resources.chat.completions")
            out["spans"] = [r.name for r in spans.records]
        """
    )
    assert out == {"wrapped": False, "spans": [], "errors": 0}


_EVERY_SDK = """
import importlib, importlib.util, json, sys
import llm_agent
from llm_agent import _errors
from llm_agent.instrumentation._registry import LIBRARIES
out = {}
for name, library in LIBRARIES.items():
    try:
        if importlib.util.find_spec(library) is None:
            continue
    except ImportError:
        continue
    importlib.import_module(library)
    top = library.split(".")[0]
    before = {m for m in sys.modules if m == top or m.startswith(top + ".")}
    llm_agent.instrument(name)
    out[name] = sorted(m for m in sys.modules if (m == top or m.startswith(top + ".")) and m not in before)
out["errors"] = len(_errors.collected)
print(json.dumps(out))
"""


def test_instrumenting_any_sdk_imports_none_of_its_modules() -> None:
    """Every provider's patching, its extras included, waits for the app's own imports."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", _EVERY_SDK], capture_output=True, text=True, env=env, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert "openai" in out and "google_genai" in out  # the test environment has them (and the others)
    assert out == {**{name: [] for name in out if name != "errors"}, "errors": 0}
