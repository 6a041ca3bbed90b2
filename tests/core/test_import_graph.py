"""The package's imports form no cycle, counting every import: module level, inside functions and
under ``TYPE_CHECKING``.

A function-level import of one of our modules is allowed only where moving it to the top would not
close a cycle (it is there for import cost, not to hide a dependency on a layer above); lazy imports
of optional third-party SDKs are not our modules and are not walked.  The implicit import of a
parent package (``import llm_agent.x.y`` runs ``llm_agent/x/__init__.py``) is not an edge: every
module would otherwise depend on the root package, which re-exports the facade.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

import llm_agent

PACKAGE_DIR = Path(llm_agent.__file__).parent

#: Edges still allowed, each with its owner.  The lead removes the entry when the cycle goes.
#: Edges a cycle may use (none: the provider core removed the last one, openai/_patch <-> _raw).
ALLOWED_EDGES: set[tuple[str, str]] = set()


def modules(package_dir: Path, package: str) -> dict[str, tuple[Path, bool]]:
    """Every module under ``package_dir``: dotted name -> (file, is a package ``__init__``)."""
    found = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = [package, *path.relative_to(package_dir).with_suffix("").parts]
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def imports(name: str, path: Path, is_package: bool, known: Mapping[str, object]) -> Iterator[tuple[str, int]]:
    """(imported module of ours, line) for every import statement in the file, at any depth."""
    package = name if is_package else name.rpartition(".")[0]
    root = name.partition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known:
                    yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            if module != root and not module.startswith(root + "."):
                continue
            submodules = [f"{module}.{a.name}" for a in node.names if f"{module}.{a.name}" in known]
            if len(submodules) < len(node.names) and module in known:
                yield module, node.lineno  # names defined in the module itself
            for sub in submodules:
                yield sub, node.lineno


def import_graph(package_dir: Path, package: str) -> dict[str, dict[str, int]]:
    """module -> {module it imports: first line}."""
    known = modules(package_dir, package)
    graph: dict[str, dict[str, int]] = {}
    for name, (path, is_package) in known.items():
        edges = graph.setdefault(name, {})
        for target, line in imports(name, path, is_package, known):
            if target != name:
                edges.setdefault(target, line)
    return graph


def cycles(graph: Mapping[str, Mapping[str, int]], allowed: set[tuple[str, str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if (v, w) in allowed:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _describe(graph: Mapping[str, Mapping[str, int]], component: list[str]) -> str:
    members = set(component)
    return "\n".join(
        f"  {a} -> {b} (line {line})" for a in component for b, line in sorted(graph[a].items()) if b in members
    )


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph(PACKAGE_DIR, "llm_agent")
    found = cycles(graph, ALLOWED_EDGES)
    assert not found, "import cycles:\n" + "\n\n".join(_describe(graph, c) for c in found)


def test_every_allowed_edge_still_exists() -> None:
    """An entry whose import is gone must leave the list, so the list cannot hide a new cycle later."""
    graph = import_graph(PACKAGE_DIR, "llm_agent")
    assert {(a, b) for a, b in ALLOWED_EDGES if b not in graph.get(a, {})} == set()


def test_the_walk_counts_function_level_and_type_checking_imports(tmp_path: Path) -> None:
    """A cycle closed by a lazy import, a TYPE_CHECKING import or a relative one is found."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    files = {
        "__init__.py": "",
        "low.py": "def later():\n    from pkg.high import thing\n    return thing\n",
        "high.py": "from pkg import low\nthing = 1\n",
        "sub/__init__.py": "",
        "sub/a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import B\n",
        "sub/b.py": "from . import a\nclass B: ...\n",
        "sub/c.py": "import json\nimport pkg.low\n\ndef f():\n    import openai\n",
    }
    for name, text in files.items():
        (pkg / name).write_text(text)
    graph = import_graph(pkg, "pkg")
    assert graph == {
        "pkg": {},
        "pkg.high": {"pkg.low": 1},
        "pkg.low": {"pkg.high": 2},
        "pkg.sub": {},
        "pkg.sub.a": {"pkg.sub.b": 3},
        "pkg.sub.b": {"pkg.sub.a": 1},
        "pkg.sub.c": {"pkg.low": 2},
    }
    assert cycles(graph, set()) == [["pkg.high", "pkg.low"], ["pkg.sub.a", "pkg.sub.b"]]
    assert cycles(graph, {("pkg.low", "pkg.high")}) == [["pkg.sub.a", "pkg.sub.b"]]


_NO_OTEL = """
import importlib, sys
importlib.import_module(sys.argv[1])
print(sorted(m for m in sys.modules if m == "opentelemetry" or m.startswith("opentelemetry.")))
"""


@pytest.mark.parametrize("module", ["llm_agent", "llm_agent.analysis", "llm_agent.cli"])
def test_the_analysis_side_imports_no_opentelemetry(module: str) -> None:
    """``import llm_agent`` (a lazy facade), the analysis API and the ``llm-agent`` command load no
    OpenTelemetry module: the CLI answers in about the time of Python's own start-up (issue 25)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_AGENT_", "OTEL_"))}
    env["PYTHONPATH"] = str(PACKAGE_DIR.parent)
    done = subprocess.run([sys.executable, "-c", _NO_OTEL, module], env=env, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr, done.stdout) == (0, "", "[]\n")


def test_the_facade_imports_opentelemetry_when_used() -> None:
    """The check above can fail: the first use of ``init`` loads the tracing side."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_AGENT_", "OTEL_"))}
    env["PYTHONPATH"] = str(PACKAGE_DIR.parent)
    script = "import sys, llm_agent; llm_agent.init; print('opentelemetry.trace' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr, done.stdout) == (0, "", "True\n")
