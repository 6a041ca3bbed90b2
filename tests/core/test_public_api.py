"""The public boundary: five public modules, everything else visibly internal (docs/architecture.md,
"Public and internal"); the CLI and the web page use only ``llm_agent.analysis``'s public names;
``import llm_agent`` stays light and still offers ``llm_agent.analysis``."""

from __future__ import annotations

import ast
import importlib
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import llm_agent
import llm_agent.analysis

PACKAGE_DIR = Path(llm_agent.__file__).parent
ROOT = PACKAGE_DIR.parent
ARCHITECTURE = ROOT / "docs" / "architecture.md"
PUBLIC_MODULES = ("llm_agent", "llm_agent.analysis", "llm_agent.backends", "llm_agent.testing", "llm_agent.semconv")
#: Packages whose public-named submodules are part of them (``llm_agent.backends.sqlite.prune``,
#: ``llm_agent.analysis.clickhouse``), documented with them in docs/backends.md and docs/analysis.md.
PUBLIC_PACKAGES = ("llm_agent.analysis", "llm_agent.backends")
#: Files of the CLI and the web page: they may use ``llm_agent.analysis`` only through its ``__all__``.
ANALYSIS_CLIENTS = (
    PACKAGE_DIR / "cli.py",
    PACKAGE_DIR / "_cli_traces.py",
    PACKAGE_DIR / "_terminal.py",
    *sorted((PACKAGE_DIR / "ui").glob("*.py")),
)


def _module_names() -> list[str]:
    names = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = ["llm_agent", *path.relative_to(PACKAGE_DIR).with_suffix("").parts]
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _documented_internal() -> set[str]:
    """The ``llm_agent.*`` names in the architecture page's "Public and internal" section."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text.split("## Public and internal", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"`(llm_agent(?:\.\w+)+)`", section))


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_every_public_name_resolves(module: str) -> None:
    mod = importlib.import_module(module)
    missing = [name for name in mod.__all__ if not hasattr(mod, name)]
    assert (missing, len(mod.__all__) == len(set(mod.__all__))) == ([], True)


def test_semconv_exports_every_name_it_defines() -> None:
    import llm_agent.semconv as semconv

    defined = [name for name in vars(semconv) if not name.startswith("_") and name.isupper()]
    assert sorted(semconv.__all__) == sorted(defined)


def test_every_module_is_public_documented_internal_or_private() -> None:
    undocumented = []
    for name in _module_names():
        parts = name.split(".")
        if name in PUBLIC_MODULES or any(p.startswith("_") for p in parts):
            continue
        if any(name.startswith(f"{package}.") for package in PUBLIC_PACKAGES):
            continue
        if name not in _documented_internal():
            undocumented.append(name)
    assert undocumented == []


def test_the_documented_internal_modules_exist() -> None:
    assert _documented_internal() - set(_module_names()) == set()


def private_analysis_uses(source: str, public: set[str]) -> list[str]:
    """Where ``source`` reaches into ``llm_agent.analysis`` past its public names."""
    found = []
    aliases = set()  # local names bound to the analysis package itself
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module is not None:
            if node.module == "llm_agent":
                aliases |= {a.asname or a.name for a in node.names if a.name == "analysis"}
            elif node.module == "llm_agent.analysis":
                found += [f"line {node.lineno}: {a.name}" for a in node.names if a.name not in public]
            elif node.module.startswith("llm_agent.analysis."):
                found.append(f"line {node.lineno}: module {node.module}")
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("llm_agent.analysis."):
                    found.append(f"line {node.lineno}: module {a.name}")
                elif a.name == "llm_agent.analysis" and a.asname:
                    aliases.add(a.asname)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr not in public:
            value = node.value
            if isinstance(value, ast.Name) and value.id in aliases:
                found.append(f"line {node.lineno}: {value.id}.{node.attr}")
            elif ast.unparse(value) == "llm_agent.analysis":
                found.append(f"line {node.lineno}: llm_agent.analysis.{node.attr}")
    return found


@pytest.mark.parametrize("path", ANALYSIS_CLIENTS, ids=lambda p: p.name)
def test_the_cli_and_the_web_page_use_only_the_public_analysis_api(path: Path) -> None:
    public = set(llm_agent.analysis.__all__)
    assert private_analysis_uses(path.read_text(encoding="utf-8"), public) == []


def test_the_analysis_api_check_finds_private_uses() -> None:
    source = textwrap.dedent(
        """
        import llm_agent.analysis
        import llm_agent.analysis._time
        from llm_agent import analysis as a
        from llm_agent.analysis import open, _text
        from llm_agent.analysis._store import display_location
        a.default_path(); a._sql; llm_agent.analysis.open(); llm_agent.analysis._build
        """
    )
    assert private_analysis_uses(source, {"open", "default_path"}) == [
        "line 3: module llm_agent.analysis._time",
        "line 5: _text",
        "line 6: module llm_agent.analysis._store",
        "line 7: a._sql",
        "line 7: llm_agent.analysis._build",
    ]


def test_import_llm_agent_leaves_analysis_and_testing_unimported_until_used(tmp_path: Path) -> None:
    """A new user's first try: ``import llm_agent`` then ``llm_agent.analysis.open(...)``.

    ``import llm_agent`` loads neither the analysis nor the export pipeline (``init()`` does).
    """
    sink = tmp_path / "sink.sqlite"
    script = textwrap.dedent(
        f"""
        import sys
        import llm_agent
        print(sorted(m for m in ("llm_agent.analysis", "llm_agent.testing", "llm_agent.export") if m in sys.modules))
        llm_agent.init(backends=["sqlite"], sink_path={str(sink)!r}, instrument=[])
        llm_agent.shutdown()
        print("llm_agent.analysis" in sys.modules)
        with llm_agent.analysis.open({str(sink)!r}) as store:
            print(store.sessions())
        print(llm_agent.testing.capture_spans.__name__, llm_agent.semconv.SESSION_ID)
        print(llm_agent.backends.Backend.__name__)
        try:
            llm_agent.no_such_thing
        except AttributeError as exc:
            print(exc)
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_AGENT_", "OTEL_"))}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [
        "[]",
        "False",
        "[]",
        "capture_spans session.id",
        "Backend",
        "module 'llm_agent' has no attribute 'no_such_thing'",
    ]


def test_the_step_helpers_are_public_and_documented() -> None:
    """``llm_agent.tool/agent/retrieval/step`` (docs/agents.md) and the transcript's result types
    (docs/analysis.md) are part of the public API."""
    helpers = ("agent", "retrieval", "step", "tool")
    agents_doc = (ROOT / "docs" / "agents.md").read_text(encoding="utf-8")
    analysis_doc = (ROOT / "docs" / "analysis.md").read_text(encoding="utf-8")
    assert [name for name in helpers if name not in llm_agent.__all__ or f"llm_agent.{name}(" not in agents_doc] == []
    results = ("Transcript", "TranscriptTurn", "TranscriptToolCall", "CAPTURE_HINT")
    assert [name for name in results if name not in llm_agent.analysis.__all__ or name not in analysis_doc] == []
