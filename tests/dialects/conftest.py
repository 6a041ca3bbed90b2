from __future__ import annotations

import pytest

pytest.importorskip("opentelemetry.proto", reason="llm-agent[collect] (opentelemetry-proto) is not installed")
