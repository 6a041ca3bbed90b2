"""The HTTP server behind ``llm-agent ui``: standard library only, read-only, loopback by default.

``http.server.ThreadingHTTPServer`` is enough for one person's browser (docs/ui.md explains the
choice): it needs no dependency, and the page's requests are a handful of small JSON reads.

Security, because a local server is reachable by every web page the user visits:

* GET and HEAD only; every other method is 405.  No endpoint writes anything, and the store is
  opened read-only.
* The ``Host`` header must name the address we listen on (or ``localhost``), which defeats DNS
  rebinding: a hostile page cannot get its own domain resolved to 127.0.0.1 and read the sink.
* A strict Content-Security-Policy (scripts, styles and connections from this origin only, no
  inline script, no framing) backs up the page's own rule of rendering data as text.
"""

from __future__ import annotations

import http.server
import importlib.resources
import ipaddress
import json
import mimetypes
import re
import socket
import socketserver
import threading
import urllib.parse
from typing import Any, Final

from llm_agent._secrets import get_logger
from llm_agent.ui._api import Api, StoreHolder

logger = get_logger("llm_agent.ui")

#: Where ``llm-agent ui`` listens unless told otherwise.
DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8765

CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_COMMON_HEADERS: Final = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
)
_STATIC_NAME: Final = re.compile(r"[A-Za-z0-9_-]+\.(html|js|css|svg|png|ico)")
_TYPES: Final = {
    "html": "text/html; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "svg": "image/svg+xml",
}
_LOOPBACK_NAMES: Final = frozenset({"localhost", "localhost.", "ip6-localhost"})


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost`` (names other than localhost are not resolved)."""
    name = host.strip().strip("[]").lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def read_static(name: str) -> bytes | None:
    """A packaged asset from ``llm_agent/ui/static`` (importlib.resources works from wheels and zips)."""
    if not _STATIC_NAME.fullmatch(name):
        return None
    resource = importlib.resources.files("llm_agent.ui").joinpath("static", name)
    try:
        return resource.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


class UIServer(http.server.ThreadingHTTPServer):
    """The page's server.  ``serve_forever()`` blocks; ``start()`` runs it on a daemon thread (tests)."""

    daemon_threads = True
    # Port reuse lets `llm-agent ui` restart at once after Ctrl-C (sockets in TIME_WAIT).
    allow_reuse_address = True

    def __init__(self, host: str, port: int, db: str | None) -> None:
        self.holder = StoreHolder(db)
        self.api = Api(self.holder)
        self.listen_host = host
        self.address_family = _family(host)
        super().__init__((host, port), _Handler)
        self._thread: threading.Thread | None = None

    def server_bind(self) -> None:
        # HTTPServer.server_bind would look up socket.getfqdn(host): a DNS query that can stall
        # start-up for seconds on machines without a resolver, for a name nothing here uses.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        host = self.listen_host
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"  # reachable from elsewhere too, but this is the address to click
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}/"

    def allowed_hosts(self) -> frozenset[str]:
        """``Host`` header names this server answers to (without port)."""
        names = {"localhost", "127.0.0.1", "[::1]", "::1"}
        bound = self.listen_host.lower()
        if not is_loopback(bound):
            if bound in ("0.0.0.0", "::", ""):
                return frozenset()  # listening everywhere on purpose: any name is fine
            names.add(bound)
            names.add(f"[{bound}]")
        return frozenset(names)

    def start(self) -> UIServer:
        """Serve on a background daemon thread; returns self (for ``with make_server(...).start()``)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self.serve_forever, name="llm-agent-ui", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the socket and the store (idempotent)."""
        if self._thread is not None:
            self.shutdown()
            self._thread.join(5.0)
            self._thread = None
        self.server_close()
        self.holder.close()

    def __enter__(self) -> UIServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _family(host: str) -> socket.AddressFamily:
    try:
        return socket.AF_INET6 if ipaddress.ip_address(host.strip("[]")).version == 6 else socket.AF_INET
    except ValueError:
        return socket.AF_INET


class _Handler(http.server.BaseHTTPRequestHandler):
    server: UIServer
    server_version = "llm-agent-ui"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    # --- methods ---------------------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._respond(head=False)

    def do_HEAD(self) -> None:
        self._respond(head=True)

    def _refuse(self) -> None:
        # The request body is never read, so the connection cannot be reused for a next request.
        self.close_connection = True
        self._send(405, _json_bytes({"error": "read-only: only GET and HEAD", "kind": "method"}),
                   "application/json", extra=(("Allow", "GET, HEAD"), ("Connection", "close")))  # fmt: skip

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse

    # --- routing ---------------------------------------------------------------------------------------

    def _respond(self, head: bool) -> None:
        if not self._host_ok():
            self._send(421, _json_bytes({"error": "unexpected Host header", "kind": "host"}), "application/json")
            return
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        try:
            if path.startswith("/api/"):
                query = {k: v for k, v in urllib.parse.parse_qsl(url.query, keep_blank_values=True)}
                status, payload = self.server.api.get(path[len("/api/") :], query)
                self._send(status, _json_bytes(payload), "application/json", head=head,
                           extra=(("Cache-Control", "no-store"),))  # fmt: skip
                return
            name = "index.html" if path in ("/", "/index.html") else path.lstrip("/")
            body = read_static(name)
            if body is None:
                self._send(404, b"not found\n", "text/plain; charset=utf-8", head=head)
                return
            ext = name.rsplit(".", 1)[-1]
            ctype = _TYPES.get(ext) or mimetypes.guess_type(name)[0] or "application/octet-stream"
            self._send(200, body, ctype, head=head, extra=(("Cache-Control", "no-cache"),))
        except (BrokenPipeError, ConnectionResetError):
            return
        except Exception:  # a bug must not kill the server: answer 500 and log it
            # The exception's text stays in the server's log: it may quote paths, SQL or data.
            logger.exception("llm-agent ui: error serving %s", self.path)
            self._send(500, _json_bytes({"error": "internal error (see the llm-agent ui log)", "kind": "internal"}),
                       "application/json", head=head)  # fmt: skip

    def _host_ok(self) -> bool:
        allowed = self.server.allowed_hosts()
        if not allowed:
            return True
        return host_name(self.headers.get("Host") or "") in allowed

    def _send(self, status: int, body: bytes, ctype: str, head: bool = False,
              extra: tuple[tuple[str, str], ...] = ()) -> None:  # fmt: skip
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (*_COMMON_HEADERS, *extra):
            self.send_header(key, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        # One line per request would drown the URL the user needs; keep them for --debug logging.
        logger.debug("%s - %s", self.address_string(), format % args)


#: ``Host: name[:port]`` (RFC 9110 §7.2, RFC 3986 §3.2.2): a DNS name or IPv4 address, or an IPv6
#: address in brackets, then at most a numeric port.  Anything else (``127.0.0.1:P@evil.example``,
#: a second colon, a path) is not a host we serve.
_HOST_HEADER: Final = re.compile(r"(?P<name>\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.\-]*[a-z0-9.])?)(?::[0-9]{1,5})?")


def host_name(header: str) -> str | None:
    """The name in a ``Host`` header, lower-cased and without its port; None if it is not one."""
    m = _HOST_HEADER.fullmatch(header.strip().lower())
    return m.group("name") if m else None


def _json_bytes(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")
