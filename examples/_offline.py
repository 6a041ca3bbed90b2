"""Shared by the examples: a real OpenAI client, or one pointed at the local demo server.

With ``OPENAI_API_KEY`` set (and no ``--offline``) the examples talk to OpenAI; otherwise they
start llm_agent's local OpenAI-compatible server on 127.0.0.1 and use a dummy key.  Either way the
code the example shows is the same, real ``openai`` client code.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterator
from typing import Any


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--offline", action="store_true", help="use the local demo server, not OpenAI")
    return p


@contextlib.contextmanager
def openai_client(offline: bool, *, use_async: bool = False) -> Iterator[Any]:
    import openai

    cls = openai.AsyncOpenAI if use_async else openai.OpenAI
    if not offline and os.environ.get("OPENAI_API_KEY"):
        yield cls()
        return
    from llm_agent._demo.server import DemoServer

    with DemoServer() as server:
        yield cls(base_url=server.base_url, api_key="offline-demo-key")
