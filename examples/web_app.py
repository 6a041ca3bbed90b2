"""A small web app that takes the session and user from request headers.

    python examples/web_app.py --offline                  # serve on 127.0.0.1:8080
    curl -X POST localhost:8080/chat -H 'X-Session-Id: s-1' -H 'X-User-Id: alice' -d '{"message": "hi"}'
    python examples/web_app.py --offline --self-test 3    # serve, send 3 requests to itself, stop

Each request runs inside ``llm_agent.session(...)`` from the ``X-Session-Id``/``X-User-Id``
headers (a reverse proxy or the front end sets them), so every LLM call a request makes is
attributed to that conversation.  Standard library only (http.server); any framework works the
same way in a middleware.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from _offline import openai_client, parser

import llm_agent

CLIENT = None  # set in main(); the openai client is thread-safe and shared by all requests


class ChatHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        if self.path != "/chat":
            self.send_error(404)
            return
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        session_id = self.headers.get("X-Session-Id") or "anonymous"
        user_id = self.headers.get("X-User-Id")
        with llm_agent.session(session_id, user_id=user_id), llm_agent.trace("POST /chat"):
            reply = CLIENT.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": body.get("message", "")}]
            )
        data = json.dumps({"session": session_id, "reply": reply.choices[0].message.content}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args) -> None:
        pass


def self_test(port: int, n: int) -> None:
    for i in range(n):
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/chat",
            data=json.dumps({"message": f"question {i + 1}: where is my parcel?"}).encode(),
            headers={"X-Session-Id": "web-session-1", "X-User-Id": "erin", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.loads(response.read())
        print(f"{answer['session']}: {answer['reply'][:60]}")


def main() -> None:
    global CLIENT
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--self-test", type=int, metavar="N", help="send N requests to itself, then exit")
    args = p.parse_args()
    llm_agent.init(service_name="web-app-example")
    with openai_client(args.offline) as CLIENT:
        server = ThreadingHTTPServer(("127.0.0.1", 0 if args.self_test else args.port), ChatHandler)
        port = server.server_address[1]
        if args.self_test:
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self_test(port, args.self_test)
            server.shutdown()
            print("see it with: llm-agent session web-session-1")
        else:
            print(f"listening on http://127.0.0.1:{port}/chat (Ctrl-C to stop)")
            try:
                server.serve_forever()
            except KeyboardInterrupt:
                pass
        server.server_close()
    llm_agent.shutdown()


if __name__ == "__main__":
    main()
