"""A multi-turn chatbot: every conversation is a session, every user message one trace.

    python examples/chatbot.py --offline          # scripted conversations against the local server
    python examples/chatbot.py --interactive      # chat yourself (real OpenAI with OPENAI_API_KEY)

Then: llm-agent sessions --user alice
"""

from __future__ import annotations

import uuid

from _offline import openai_client, parser

import llm_agent

MODEL = "gpt-4o-mini"
SCRIPT = {
    "alice": ["Hi! My invoice looks higher than usual.", "It says 'usage overage'. What is that?", "Thanks, bye."],
    "bob": ["How do I export my data to CSV?", "And can I schedule that weekly?"],
}


def chat_turn(client, history: list[dict], text: str) -> str:
    history.append({"role": "user", "content": text})
    with llm_agent.trace("chat turn"):  # one request-response cycle = one trace
        reply = client.chat.completions.create(model=MODEL, messages=history)
    answer = reply.choices[0].message.content
    history.append({"role": "assistant", "content": answer})
    return answer


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--interactive", action="store_true", help="type your own messages (empty line ends)")
    args = p.parse_args()
    llm_agent.init(service_name="chatbot-example")
    with openai_client(args.offline) as client:
        conversations = {"you": None} if args.interactive else SCRIPT
        for user, lines in conversations.items():
            session_id = f"chat-{uuid.uuid4().hex[:8]}"
            history = [{"role": "system", "content": "You are a concise support assistant."}]
            with llm_agent.session(session_id, user_id=user):
                while True:
                    text = input("you> ") if lines is None else (lines.pop(0) if lines else "")
                    if not text:
                        break
                    if lines is not None:
                        print(f"{user}> {text}")
                    print(f"bot> {chat_turn(client, history, text)[:100]}")
            print(f"-- session {session_id} ({user}); see it with: llm-agent session {session_id}\n")
    llm_agent.shutdown()


if __name__ == "__main__":
    main()
