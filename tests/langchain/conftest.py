"""LangChain / LangGraph tests: real langchain-core, langgraph, langchain-openai and langchain
against a loopback server (``_scripted``); skipped where the ``langchain`` extra is not installed."""

from __future__ import annotations

import pytest

pytest.importorskip("langchain_core")
pytest.importorskip("langgraph")
pytest.importorskip("langchain_openai")
