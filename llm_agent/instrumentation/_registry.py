"""The supported libraries: our name for each, its instrumentor and the module it patches.

A table with no imports, so that the settings can check ``instrument=[...]`` names against it
without importing the instrumentation (or anything it imports).
"""

from __future__ import annotations

from typing import Final

#: Our name -> "module:Class", imported only when used so a missing library costs nothing.
INSTRUMENTORS: Final[dict[str, str]] = {
    "openai": "llm_agent.instrumentation.openai:OpenAIInstrumentor",
    "anthropic": "llm_agent.instrumentation.anthropic:AnthropicInstrumentor",
    "bedrock": "llm_agent.instrumentation.bedrock:BedrockInstrumentor",
    "cohere": "llm_agent.instrumentation.cohere:CohereInstrumentor",
    "ollama": "llm_agent.instrumentation.ollama:OllamaInstrumentor",
    "google_genai": "llm_agent.instrumentation.google_genai:GoogleGenAIInstrumentor",
    "litellm": "llm_agent.instrumentation.litellm:LiteLLMInstrumentor",
    "mistralai": "llm_agent.instrumentation.mistralai:MistralInstrumentor",
    "groq": "llm_agent.instrumentation.groq:GroqInstrumentor",
    "dashscope": "llm_agent.instrumentation.dashscope:DashScopeInstrumentor",
    "openai_agents": "llm_agent.instrumentation.openai_agents:OpenAIAgentsInstrumentor",
    "mcp": "llm_agent.instrumentation.mcp:MCPInstrumentor",
    "langchain": "llm_agent.instrumentation.langchain:LangChainInstrumentor",
}
#: The importable module each instrumentor patches (to know what is installed without importing).
LIBRARIES: Final[dict[str, str]] = {
    "openai": "openai",
    "anthropic": "anthropic",
    "bedrock": "botocore",
    "cohere": "cohere",
    "ollama": "ollama",
    "google_genai": "google.genai",
    "litellm": "litellm",
    "mistralai": "mistralai.client",  # ``mistralai`` is a namespace package: its import fires no hook
    "groq": "groq",
    "dashscope": "dashscope",
    "openai_agents": "agents",  # the OpenAI Agents SDK (openai-agents)
    "mcp": "mcp",
    "langchain": "langchain_core",  # LangChain and LangGraph both run on langchain-core's callbacks
}

__all__ = ["INSTRUMENTORS", "LIBRARIES"]
