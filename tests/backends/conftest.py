from __future__ import annotations

import importlib.util
import pathlib
import sys

import pytest


def _load_spans():  # one module object shared by tests/export and tests/backends
    name = "llm_agent_test_spans"
    if name not in sys.modules:
        here = pathlib.Path(__file__).parent
        spec = importlib.util.spec_from_file_location(name, here.parent / "export" / "_spans.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


spans = _load_spans()


@pytest.fixture
def make_span():
    return spans.make_span


@pytest.fixture
def llm_attrs():
    return spans.llm_attrs
