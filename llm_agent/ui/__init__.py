"""``llm-agent ui``: a local, read-only web page over the sink (Session analysis and Model analysis).

    from llm_agent import ui

    ui.serve()                                  # blocks; prints http://127.0.0.1:8765/
    server = ui.make_server(db="sink.sqlite", port=0).start()   # background thread (tests, notebooks)
    print(server.url); ...; server.stop()

The server only calls ``llm_agent.analysis`` and serves the page's static files from the package,
so it works offline: no CDN, no external fonts or scripts.  See docs/ui.md.
"""

from __future__ import annotations

import logging
import os
import sys
import webbrowser

from llm_agent.analysis import display_location
from llm_agent.ui._api import CONTENT_ATTRIBUTES, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT
from llm_agent.ui._server import DEFAULT_HOST, DEFAULT_PORT, UIServer, is_loopback

logger = logging.getLogger("llm_agent.ui")


class UnsafeHostError(ValueError):
    """A non-loopback address was requested without saying so explicitly."""


def make_server(
    db: str | None = None,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    host_explicit: bool = False,
) -> UIServer:
    """A bound, not yet serving, ``UIServer`` (``port=0`` picks a free port; see ``server.url``).

    Listening on anything but loopback exposes the recorded sessions (and any captured prompts)
    to the network, so it is refused unless ``host_explicit`` says the caller asked for exactly
    that host (the CLI sets it for ``--host``); it is then allowed with a warning.
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"port must be an integer 0-65535, got {port!r}")
    if not isinstance(host, str) or not host.strip():
        raise ValueError(f"host must be a non-empty string, got {host!r}")
    host = host.strip()
    if not is_loopback(host):
        if not host_explicit:
            raise UnsafeHostError(
                f"refusing to serve the sink on non-loopback address {host!r}: the page shows recorded "
                "sessions and any captured prompts to whoever can reach it; pass --host explicitly "
                "(host_explicit=True) if you really mean it"
            )
        message = (
            f"llm-agent ui: WARNING: listening on {host}, not loopback: anyone who can reach this "
            "address can read the sink (there is no authentication)"
        )
        logger.warning(message)
        print(message, file=sys.stderr)
    try:
        return UIServer(host.strip("[]"), port, db)
    except OSError as exc:
        raise OSError(
            exc.errno, f"cannot listen on {host}:{port}: {exc.strerror or exc} (another llm-agent ui? try --port)"
        ) from exc


def _has_graphical_browser() -> bool:
    """False on a Linux box without a display (SSH, containers), where ``webbrowser`` would start a
    text browser such as lynx in this very terminal and hold it; the printed URL is enough there."""
    if sys.platform.startswith("linux") or "bsd" in sys.platform:
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def serve(
    db: str | None = None,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    open_browser: bool = False,
    host_explicit: bool = False,
) -> None:
    """Serve the page until interrupted (Ctrl-C); prints the URL (and opens it with ``open_browser``)."""
    server = make_server(db=db, host=host, port=port, host_explicit=host_explicit)
    try:
        where = display_location(server.holder.path)
        print(f"llm-agent ui: serving {where} at {server.url}  (Ctrl-C to stop)", flush=True)
        if open_browser and _has_graphical_browser():
            try:
                webbrowser.open(server.url)
            except Exception as exc:  # no browser on a headless box is fine: the URL is printed
                logger.info("llm-agent ui: could not open a browser: %s", exc)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("llm-agent ui: stopped", flush=True)
    finally:
        server.server_close()
        server.holder.close()


__all__ = [
    "CONTENT_ATTRIBUTES",
    "DEFAULT_HOST",
    "DEFAULT_PAGE_LIMIT",
    "DEFAULT_PORT",
    "MAX_PAGE_LIMIT",
    "UIServer",
    "UnsafeHostError",
    "is_loopback",
    "make_server",
    "serve",
]
