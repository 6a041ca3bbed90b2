"""An ordinary OpenAI script: no llm_agent import, no changes.  Run it instrumented with

    llm-agent-instrument --session-id nightly-report python examples/auto_instrumentation/app.py

(or ``python examples/auto_instrumentation/run.py --offline``, which does that against the local
demo server).  The endpoint and key come from OPENAI_BASE_URL / OPENAI_API_KEY as usual.
"""

import openai

client = openai.OpenAI()
for topic in ("sales", "support tickets"):
    reply = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": f"Summarise yesterday's {topic} in one line."}]
    )
    print(f"{topic}: {reply.choices[0].message.content[:70]}")
