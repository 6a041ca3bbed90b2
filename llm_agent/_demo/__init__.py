"""`llm-agent demo`: an offline tour (``run.record``); the local OpenAI-compatible server is in server.py.

Nothing is imported here: the CLI imports ``llm_agent._demo.run`` only for the demo command, so
its other commands stay quick.
"""
