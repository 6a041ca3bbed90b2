"""USD cost of model calls: genai-prices (the optional extra ``llm-agent[cost]``) and the user's overrides.

Internal: the SQLite sink and the analysis use it; users reach it through ``init(prices=...)``,
``LLM_AGENT_PRICES``, ``--prices`` and the ``cost_usd`` / ``unpriced_calls`` result fields
(docs/cost.md).
"""

from llm_agent._cost._overrides import Coefficients, Overrides, load
from llm_agent._cost._prices import ENABLE_HINT, OVERRIDE_VERSION, Pricer, genai_prices_module, table_version

__all__ = [
    "ENABLE_HINT",
    "OVERRIDE_VERSION",
    "Coefficients",
    "Overrides",
    "Pricer",
    "genai_prices_module",
    "load",
    "table_version",
]
