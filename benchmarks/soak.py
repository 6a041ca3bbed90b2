"""Soak: many instrumented OpenAI calls while an OTLP backend flaps; RSS over time and exact accounting.

    python benchmarks/soak.py [--calls 1000000] [--flap-s 60] [--sample-s 10] [--out FILE.md]
    python benchmarks/soak.py --hang [--duration-s 600] [--prompt-chars 20000] [--rate 500] [--out FILE.md]

``--hang``: the memory bound.  Captured content (prompts of ``--prompt-chars`` characters, kept
whole: ``content_max_chars`` is raised to match) meets a backend whose ``export`` never returns, for
``--duration-s`` seconds at ``--rate`` calls/s (0: as fast as one thread can).  The queue fills,
later spans are dropped as ``queue_full`` (by spans or by ``max_queue_bytes``), and RSS must level
off; reported: RSS, queued, in flight and dropped over time, and
``exported + dropped + queued + in_flight == calls`` at every sample.

The app makes real instrumented ``chat.completions.create`` calls (the SDK over an in-process mock
transport, mixed with 50-chunk-free short streams every 10th call) as fast as one thread can, with
two backends: the default SQLite sink and ``otlp`` pointed at a local collector that answers 200
for ``--flap-s`` seconds, then 503 for ``--flap-s`` seconds, and so on. Reported: RSS over time,
per-backend exported / dropped by reason, and the checks

    sqlite rows == calls - sqlite drops          otlp exported + otlp drops == calls
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sqlite3
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE / 2**20


class Flapper:
    """Healthy for flap_s seconds, then 503 for flap_s seconds, repeatedly.

    The collector runs in a child process (as a real one would), so it does not compete with the
    app for the GIL; its counters are shared memory.
    """

    def __init__(self, flap_s: float) -> None:
        self.flap_s = flap_s
        self.t0 = time.monotonic()
        self._accepted = multiprocessing.Value("q", 0)
        self._refused = multiprocessing.Value("q", 0)

    @property
    def accepted(self) -> int:
        return int(self._accepted.value)

    @property
    def refused(self) -> int:
        return int(self._refused.value)

    def healthy(self) -> bool:
        return int((time.monotonic() - self.t0) // self.flap_s) % 2 == 0


def serve_collector(flapper: Flapper) -> tuple[multiprocessing.Process, int]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            ok = flapper.healthy()
            counter = flapper._accepted if ok else flapper._refused
            with counter.get_lock():
                counter.value += 1
            self.send_response(200 if ok else 503)
            self.send_header("content-type", "application/x-protobuf")
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    child = multiprocessing.get_context("fork").Process(target=server.serve_forever, daemon=True)
    child.start()
    port = int(server.server_address[1])
    server.server_close()  # the child owns the listening socket now
    return child, port


def make_client() -> Any:
    import openai
    import openai._base_client as base

    http = getattr(base, "httpx2", None) or base.httpx
    chat = {
        "id": "chatcmpl-soak",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15},
    }
    base_chunk = {"id": "chatcmpl-soak", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini"}
    chunks = [
        {**base_chunk, "choices": [{"index": 0, "delta": {"content": "o"}, "finish_reason": None}]},
        {**base_chunk, "choices": [{"index": 0, "delta": {"content": "k"}, "finish_reason": "stop"}]},
        {**base_chunk, "choices": [], "usage": chat["usage"]},
    ]
    sse = ("".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n").encode()
    chat_bytes = json.dumps(chat).encode()

    def handler(request: Any) -> Any:
        if b'"stream":true' in request.content.replace(b" ", b""):
            return http.Response(200, content=sse, headers={"content-type": "text/event-stream"})
        return http.Response(200, content=chat_bytes, headers={"content-type": "application/json"})

    return openai.OpenAI(
        api_key="test_openai_api_key",
        base_url="https://api.openai.com/v1",
        max_retries=0,
        http_client=http.Client(transport=http.MockTransport(handler)),
    )


class HangingBackend:
    """A backend whose ``export`` never returns (a collector that accepts and never answers)."""

    name = "hanging"

    def __init__(self) -> None:
        import threading

        self._never = threading.Event()

    def export(self, records: Any) -> Any:
        self._never.wait()

    def flush(self, timeout_s: float) -> bool:
        return False

    def shutdown(self, timeout_s: float) -> None:
        return None


def accounted(stats: dict[str, Any]) -> int:
    """Every span a backend was given, wherever it is now."""
    return int(stats["exported"] + sum(stats["dropped"].values()) + stats["queued"] + stats["in_flight"])


def hang(args: argparse.Namespace) -> None:
    import llm_agent

    agent = llm_agent.init(
        service_name="soak-hang",
        backends=[HangingBackend()],
        instrument=["openai"],
        capture_content=True,
        content_max_chars=args.prompt_chars + 100,
    )
    client = make_client()
    messages = [{"role": "user", "content": ("0123456789" * (args.prompt_chars // 10 + 1))[: args.prompt_chars]}]
    samples: list[tuple[float, int, float, dict[str, Any]]] = []
    balanced = True
    t0 = last = time.monotonic()
    rss0 = rss_mib()
    calls = 0
    while (now := time.monotonic()) - t0 < args.duration_s:
        if args.rate > 0 and calls >= (now - t0) * args.rate:
            time.sleep(min(0.01, calls / args.rate - (now - t0)))
            continue
        client.chat.completions.create(model="gpt-4o-mini", messages=messages)
        calls += 1
        if now - last >= args.sample_s:
            last = now
            stats = llm_agent.stats()["backends"]["hanging"]
            balanced &= accounted(stats) == calls
            samples.append((now - t0, calls, rss_mib(), stats))
            print(f"{now - t0:7.0f}s calls={calls:>9} rss={samples[-1][2]:.1f} MiB {stats}", flush=True)
    final = llm_agent.stats()
    stats = final["backends"]["hanging"]
    balanced &= accounted(stats) == calls
    half = [rss for t, _, rss, _ in samples if t >= args.duration_s / 2]
    first = [rss for t, _, rss, _ in samples if t < args.duration_s / 2]
    lines = [
        "# Soak: a hanging backend with captured content",
        "",
        f"`python benchmarks/soak.py --hang --duration-s {args.duration_s:g} --prompt-chars {args.prompt_chars} "
        f"--rate {args.rate:g}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {calls} calls "
        f"({calls / args.duration_s:.0f} calls/s, one app thread), each capturing a {args.prompt_chars}-character "
        f"prompt, into a backend whose export never returns (max_queue_size {agent.settings.max_queue_size}, "
        f"max_queue_bytes {agent.settings.max_queue_bytes}). RSS at start {rss0:.1f} MiB, peak "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MiB; highest sample in the first half "
        f"{max(first, default=0):.1f} MiB, in the second half {max(half, default=0):.1f} MiB.",
        "",
        "| t (s) | calls | RSS MiB | queued | in flight | dropped (queue_full) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for t, n, rss, st in samples:
        dropped = st["dropped"]["queue_full"]
        lines.append(f"| {t:.0f} | {n} | {rss:.1f} | {st['queued']} | {st['in_flight']} | {dropped} |")
    lines += [
        "",
        f"Final: {stats}. Internal errors: {final['internal_errors']}.",
        "",
        f"- exported + dropped + queued + in_flight == calls at every sample: {'yes' if balanced else 'NO'}",
        "",
    ]
    out = Path(args.out or ROOT / "benchmarks" / "results" / "soak-hang.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))
    print("\n".join(lines))
    agent.shutdown(1.0)
    sys.exit(0 if balanced else 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=1_000_000)
    ap.add_argument("--flap-s", type=float, default=60.0)
    ap.add_argument("--sample-s", type=float, default=10.0)
    ap.add_argument("--hang", action="store_true", help="the hanging-backend, captured-content memory soak")
    ap.add_argument("--duration-s", type=float, default=600.0)
    ap.add_argument("--prompt-chars", type=int, default=20_000)
    ap.add_argument("--rate", type=float, default=0.0, help="calls/s with --hang (0: unthrottled)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    if args.hang:
        hang(args)
        return
    args.out = args.out or str(ROOT / "benchmarks" / "results" / "soak.md")

    flapper = Flapper(args.flap_s)
    child, port = serve_collector(flapper)
    os.environ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = f"http://127.0.0.1:{port}/v1/traces"
    sink = Path(tempfile.mkdtemp(prefix="llm-agent-soak-")) / "soak.sqlite"

    import llm_agent

    agent = llm_agent.init(service_name="soak", backends=["sqlite", "otlp"], sink_path=str(sink), instrument=["openai"])
    client = make_client()
    messages = [{"role": "user", "content": "hi"}]
    samples: list[tuple[float, int, float, dict[str, Any]]] = []
    t0 = last = time.monotonic()
    rss0 = rss_mib()
    for i in range(args.calls):
        if i % 10 == 9:
            for _chunk in client.chat.completions.create(
                model="gpt-4o-mini", messages=messages, stream=True, stream_options={"include_usage": True}
            ):
                pass
        else:
            client.chat.completions.create(model="gpt-4o-mini", messages=messages)
        now = time.monotonic()
        if now - last >= args.sample_s:
            last = now
            samples.append((now - t0, i + 1, rss_mib(), llm_agent.stats()))
            print(f"{now - t0:7.0f}s calls={i + 1:>9} rss={samples[-1][2]:.1f} MiB", flush=True)
    produce_s = time.monotonic() - t0
    llm_agent.flush(60.0)
    agent.shutdown(30.0)
    final = agent.stats()
    samples.append((time.monotonic() - t0, args.calls, rss_mib(), final))
    with sqlite3.connect(sink) as db:
        rows = int(db.execute("select count(*) from spans").fetchone()[0])

    backends = final["backends"]
    sq, ot = backends["sqlite"], backends["otlp"]
    sq_drops, ot_drops = sum(sq["dropped"].values()), sum(ot["dropped"].values())
    checks = {
        "sqlite rows == calls - sqlite drops": rows == args.calls - sq_drops,
        "otlp exported + otlp drops == calls": ot["exported"] + ot_drops == args.calls,
    }
    lines = [
        "# Soak",
        "",
        f"`python benchmarks/soak.py --calls {args.calls} --flap-s {args.flap_s:g}` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {args.calls} calls in {produce_s:.0f} s "
        f"({args.calls / produce_s:.0f} calls/s, one app thread), collector 200/503 every {args.flap_s:g} s "
        f"({flapper.accepted} batches accepted, {flapper.refused} answered 503). RSS at start {rss0:.1f} MiB, "
        f"peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MiB.",
        "",
        "| t (s) | calls | RSS MiB | sqlite exported | otlp exported | otlp dropped |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for t, calls, rss, stats in samples:
        b = stats.get("backends", {})
        s, o = b.get("sqlite", {}), b.get("otlp", {})
        lines.append(
            f"| {t:.0f} | {calls} | {rss:.1f} | {s.get('exported', '?')} | {o.get('exported', '?')} | "
            f"{sum(o.get('dropped', {}).values())} |"
        )
    lines += [
        "",
        f"Drops by reason: sqlite {sq['dropped']}, otlp {ot['dropped']}. SQLite span rows: {rows}. "
        f"Internal errors: {final['internal_errors']}.",
        "",
        *(f"- {name}: {'yes' if ok else 'NO'}" for name, ok in checks.items()),
        "",
    ]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))
    print("\n".join(lines))
    child.terminate()
    sys.exit(0 if all(checks.values()) else 1)


if __name__ == "__main__":
    main()
