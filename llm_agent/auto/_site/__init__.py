"""Holds only the start-up hook; this directory goes on PYTHONPATH (see llm_agent.auto)."""
