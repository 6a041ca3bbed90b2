"""Instructions per call, every thread included, under callgrind (issue 25).

    python benchmarks/overhead/instructions.py [--runs 2] [--stream-runs 3] [--n1 10] [--n2 60]
        [--subjects bare,llm_agent,...] [--scenarios chat,...] [--jobs 2] [--no-stages] [--quick]

Each subject runs in a fresh process under ``valgrind --tool=callgrind`` (``PYTHONHASHSEED=0``),
``count_subject.py`` dumping the counters around two intervals per scenario, n1 and n2 calls each
closed by a flush (see there); instructions per call = the difference over ``n2 - n1``.  Unlike
the wall clock this repeats within about 1 % on a loaded machine, and it counts the export
threads' work, which the app-thread A/B (ab.py) does not.  Streams get a fifth of the calls.

Rows: bare, llm_agent (discarding exporter; the SQLite sink; OTLP/HTTP to a loopback server that
discards, run in its own process so its work is not counted), and the peers (run.py's
environments; the contrib ``openai-v2`` on openai 2.x against the bare client of that same
environment).  *added* is against the bare client of the subject's environment; *ratio* is to the
contrib's added instructions, the lighter of ``openai-v2`` and ``genai-openai``, as issue 25 says.
A last run with ``--stages`` splits llm_agent's added instructions by stage (stages.py).

Writes benchmarks/results/instructions.md and .json.  Needs valgrind (and a C compiler with
valgrind's headers for the dumps); without them it says so and exits.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, Final

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

import callgrind_marks  # noqa: E402 - after the path set-up above
from count_subject import NON_OPENAI_SCENARIOS, OURS, SCENARIOS, STREAMS  # noqa: E402
from run import PEERS, ensure_venv  # noqa: E402

RESULTS: Final = HERE.parent / "results"
COUNT_SUBJECT: Final = HERE / "count_subject.py"
#: A 50-chunk stream executes about seven chat calls' instructions: a fifth of the calls.
STREAM_CALL_DIVISOR: Final = 5
CONTRIBS: Final = ("otel_v2", "genai_openai")
#: Peer environments with an openai other than the project's: their own bare client is measured.
BARE_ENVS: Final = ("otel_v2",)
#: The peers instrument OpenAI only: the Anthropic scenarios run for bare and llm_agent.
OPENAI_ONLY: Final = tuple(PEERS)
#: Issue 25's targets: (subject, scenario) -> (max share of bare, max ratio to the contrib's added).
TARGETS: Final = {
    ("llm_agent", "chat"): (0.040, 0.40),
    ("llm_agent", "chat_stream"): (0.008, 0.30),
    ("llm_agent", "error"): (0.050, 0.40),
    ("llm_agent_sqlite", "chat"): (0.055, 0.55),
}
LABELS: Final = {
    "llm_agent": "llm_agent (discarding exporter)",
    "llm_agent_sqlite": "llm_agent, SQLite sink",
    "llm_agent_otlp": "llm_agent, OTLP to loopback",
    "otel_v2": "OTel contrib openai-v2 2.4b0",
    "genai_openai": "OTel genai-openai 1.3b0",
    "openllmetry": "OpenLLMetry 0.62.4",
    "openinference": "OpenInference 0.1.66",
}
_TRIGGER = re.compile(r"^desc: Trigger: Client Request: (.+)$", re.M)
_TOTALS = re.compile(r"^(?:totals|summary): (\d+)$", re.M)
_STAGE_LINE = re.compile(r"^\s*([\d,]+)\s.*\bllm_stage_(\w+?)(?:'\d+)?\s*(?:\[|$)", re.M)


class _Discard(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


def otlp_discard_server() -> tuple[subprocess.Popen[bytes], str]:
    """The OTLP/HTTP collector that discards, in a child process (its work must not be counted)."""
    code = (
        f"import sys; sys.path.insert(0, {str(HERE)!r})\n"
        "from http.server import ThreadingHTTPServer\n"
        "from instructions import _Discard\n"
        "s = ThreadingHTTPServer(('127.0.0.1', 0), _Discard); print(s.server_address[1], flush=True)\n"
        "s.serve_forever()\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    return proc, f"http://127.0.0.1:{port}"


def parse_dumps(out_prefix: Path) -> dict[str, int]:
    """{dump label: instructions} from one process's numbered callgrind out files."""
    found: dict[str, int] = {}
    for path in out_prefix.parent.glob(out_prefix.name + ".*"):
        text = path.read_text(errors="replace")
        trigger, totals = _TRIGGER.search(text), _TOTALS.search(text)
        if trigger and totals:
            found[trigger.group(1)] = int(totals.group(1))
    return found


def stage_costs(out_prefix: Path) -> dict[str, dict[str, int]]:
    """{dump label: {frame: inclusive instructions}} for the llm_stage_* frames (callgrind_annotate)."""
    found: dict[str, dict[str, int]] = {}
    for path in out_prefix.parent.glob(out_prefix.name + ".*"):
        text = path.read_text(errors="replace")
        trigger = _TRIGGER.search(text)
        if not trigger:
            continue
        done = subprocess.run(
            ["callgrind_annotate", "--inclusive=yes", "--threshold=100", str(path)], capture_output=True, text=True
        )
        costs: dict[str, int] = {}
        for m in _STAGE_LINE.finditer(done.stdout):
            costs[m.group(2)] = costs.get(m.group(2), 0) + int(m.group(1).replace(",", ""))
        found[trigger.group(1)] = costs
    return found


def per_call(dumps: dict[str, int], scenario: str, n1: int, n2: int) -> float | None:
    a, b = dumps.get(f"{scenario}:n1"), dumps.get(f"{scenario}:n2")
    return None if a is None or b is None else (b - a) / (n2 - n1)


def count(
    python: Path,
    subject: str,
    scenarios: list[str],
    args: argparse.Namespace,
    work: Path,
    tag: str,
    env: dict[str, str],
) -> dict[str, Any]:
    """One process under callgrind: {scenario: instructions per call} (and stage costs with --stages)."""
    n1, n2 = args.n1, args.n2
    sn1, sn2 = max(1, n1 // STREAM_CALL_DIVISOR), max(2, n2 // STREAM_CALL_DIVISOR)
    prefix = work / f"{tag}.out"
    cmd = [
        *args.valgrind,
        f"--callgrind-out-file={prefix}",
        str(python),
        str(COUNT_SUBJECT),
        subject,
        "--scenarios",
        ",".join(scenarios),
        "--n1",
        str(n1),
        "--n2",
        str(n2),
        "--warmup",
        str(args.warmup),
        "--stream-n",
        f"{sn1},{sn2},{max(1, args.warmup // STREAM_CALL_DIVISOR)}",
    ]
    if tag.endswith("stages"):
        cmd.append("--stages")
    if args.fake_counter:  # no valgrind: the dumps write the files themselves (CPU ns, not instructions)
        cmd = cmd[cmd.index(str(python)) :]
        env = {**env, callgrind_marks.FAKE_ENV: str(prefix)}
    t0 = time.monotonic()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(HERE), timeout=args.timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{subject} ({tag}) failed:\n{done.stderr[-3000:]}")
    info = json.loads(done.stdout.strip().splitlines()[-1])
    dumps = parse_dumps(prefix)
    result: dict[str, Any] = {
        "subject": subject,
        "tag": tag,
        "openai": info["openai"],
        "spans": info["spans"],
        "n": {"calls": [n1, n2], "streams": [sn1, sn2]},
        "seconds": round(time.monotonic() - t0, 1),
        "per_call": {s: per_call(dumps, s, *((sn1, sn2) if s in STREAMS else (n1, n2))) for s in scenarios},
    }
    if tag.endswith("stages"):
        costs = stage_costs(prefix)
        result["stages"] = {}
        for s in scenarios:
            a, b = costs.get(f"{s}:n1", {}), costs.get(f"{s}:n2", {})
            d = (sn2 - sn1) if s in STREAMS else (n2 - n1)
            result["stages"][s] = {frame: (b.get(frame, 0) - a.get(frame, 0)) / d for frame in set(a) | set(b)}
    if not args.keep:
        for path in work.glob(prefix.name + "*"):
            path.unlink()
    print(f"  {tag:<40} {result['seconds']:6.1f} s", flush=True)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=2, help="processes per subject (the spread)")
    ap.add_argument("--stream-runs", type=int, default=3, help="processes per subject for the streams")
    ap.add_argument("--n1", type=int, default=10)
    ap.add_argument("--n2", type=int, default=60)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--subjects", default=",".join(("bare", *OURS, *PEERS)))
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--jobs", type=int, default=2, help="processes at once (counts do not depend on it)")
    ap.add_argument("--no-stages", action="store_true", help="skip the breakdown run")
    ap.add_argument("--quick", action="store_true", help="n1=2, n2=6, one run: a smoke test of the plumbing")
    ap.add_argument("--keep", action="store_true", help="keep the callgrind out files")
    ap.add_argument("--timeout", type=float, default=3600)
    ap.add_argument("--out", default=str(RESULTS / "instructions.md"))
    ap.add_argument("--no-peers", action="store_true", help="bare and llm_agent only (no peer environments)")
    ap.add_argument(
        "--fake-counter",
        action="store_true",
        help="no valgrind: count CPU nanoseconds at the same points (tests the plumbing, measures nothing)",
    )
    ap.add_argument("--render", metavar="JSON", help="only write the tables again from a run's .json")
    ap.add_argument("--valgrind", default="valgrind --tool=callgrind", help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.valgrind = args.valgrind.split()
    if args.render:
        raw = json.loads(Path(args.render).read_text())
        scenarios = [s for s in SCENARIOS if any(s in r["per_call"] for r in raw)]
        Path(args.out).write_text(render(raw, args, float("nan"), scenarios))
        print(Path(args.out).read_text())
        return
    if args.quick:
        args.n1, args.n2, args.warmup, args.runs, args.stream_runs = 2, 6, 2, 1, 1
    if args.fake_counter:
        args.no_stages = True  # the stage frames need callgrind's call graph
    elif shutil.which(args.valgrind[0]) is None:
        raise SystemExit(f"{args.valgrind[0]} is not installed: the instruction count needs valgrind")
    elif not callgrind_marks.available():
        raise SystemExit("cannot build the callgrind client requests (a C compiler and valgrind's headers)")

    subjects = [s for s in args.subjects.split(",") if s and not (args.no_peers and s in PEERS)]
    scenarios = [s for s in args.scenarios.split(",") if s]
    envs: dict[str, Path] = {"project": Path(sys.executable)}
    for peer in (s for s in subjects if s in PEERS):
        python = ensure_venv(peer, PEERS[peer])
        if python is not None:
            envs[peer] = python
    server, endpoint = otlp_discard_server()
    base_env = {
        **os.environ,
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OPENAI_API_KEY": "test_openai_api_key",
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    # (env, subject, scenarios, tag): every scenario in one process per run; the streams' extra runs
    # (--stream-runs beyond --runs) in processes of their own, for the subjects the targets compare
    plan: list[tuple[str, str, list[str], str]] = []
    for subject in subjects:
        # the bare client in every environment whose openai differs from the project's (the contrib's)
        env_names = ["project", *BARE_ENVS] if subject == "bare" else [subject] if subject in PEERS else ["project"]
        for env in env_names:
            if env not in envs:
                continue
            mine = [s for s in scenarios if not (s in NON_OPENAI_SCENARIOS and env != "project")]
            streams = [s for s in mine if s in STREAMS]
            for rnd in range(args.runs):
                plan.append((env, subject, mine, f"{env}-{subject}-{rnd}"))
            if streams and subject in ("bare", "llm_agent", "otel_v2"):
                for rnd in range(args.runs, args.stream_runs):
                    plan.append((env, subject, streams, f"{env}-{subject}-stream-{rnd}"))
    if not args.no_stages:
        for subject in (s for s in subjects if s in ("llm_agent", "llm_agent_sqlite")):
            plan.append(("project", subject, scenarios, f"project-{subject}-stages"))

    started = time.monotonic()
    print(f"{len(plan)} processes under callgrind, {args.jobs} at a time", flush=True)
    work = Path(tempfile.mkdtemp(prefix="llm-agent-instructions-"))
    lock = threading.Lock()
    raw: list[dict[str, Any]] = []

    def one(item: tuple[str, str, list[str], str]) -> None:
        env, subject, group, tag = item
        result = count(envs[env], subject, group, args, work, tag, base_env)
        result["env"] = env
        with lock:
            raw.append(result)

    try:
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            for future in [pool.submit(one, item) for item in plan]:
                future.result()
    finally:
        server.terminate()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    elapsed = time.monotonic() - started
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = Path(args.out)
    out.with_suffix(".json").write_text(json.dumps(raw, indent=1))
    out.write_text(render(raw, args, elapsed, scenarios))
    print(out.read_text())
    print(f"wrote {out} ({elapsed:.0f} s)")


def _med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _spread(values: list[float]) -> str:
    """The runs' range as ± half of it, relative to the median (e.g. "±0.1 %")."""
    if len(values) < 2:
        return "1 run"
    return f"±{(max(values) - min(values)) / 2 / _med(values) * 100:.2f} %"


def _fmt(value: float) -> str:
    if abs(value) >= 1e6:
        return f"{value / 1e6:.2f}M"
    return f"{value / 1e3:.0f}k"


def _signed(value: float) -> str:
    return ("+" if value >= 0 else "-") + _fmt(abs(value))


def table(raw: list[dict[str, Any]], scenarios: list[str]) -> tuple[list[str], dict[str, Any]]:
    """The results table's lines, and {scenario: {subject: summary}} for the JSON and the docs."""
    plain = [r for r in raw if not r["tag"].endswith("stages")]
    counts: dict[tuple[str, str, str], list[float]] = {}
    for r in plain:
        for scenario, value in r["per_call"].items():
            if value is not None:
                counts.setdefault((r["env"], r["subject"], scenario), []).append(value)
    lines = [
        "| scenario | subject | instructions per call | spread of runs | added over bare | share of bare "
        "| ratio to the contrib's | target |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    summary: dict[str, Any] = {}
    order = ["bare", *OURS, *PEERS]
    for scenario in scenarios:
        rows: dict[str, Any] = {}
        for (env, subject, sc), values in counts.items():
            if sc != scenario or subject == "bare":
                continue
            base = counts.get((env, "bare", scenario)) or counts.get(("project", "bare", scenario))
            if not base:
                continue
            med = _med(values)
            rows[subject] = {"env": env, "per_call": med, "runs": values, "bare": _med(base),
                             "added": med - _med(base), "share": (med - _med(base)) / _med(base)}  # fmt: skip
        contrib = [rows[c]["added"] for c in CONTRIBS if c in rows]
        lighter = min(contrib) if contrib else None
        bare_vals = counts.get(("project", "bare", scenario), [])
        if bare_vals:
            lines.append(f"| {scenario} | bare (openai {_openai(raw, 'project')}) | {_fmt(_med(bare_vals))} | "
                         f"{_spread(bare_vals)} | — | — | — | |")  # fmt: skip
        for subject in sorted(rows, key=order.index):
            row = rows[subject]
            ratio = row["added"] / lighter if lighter else None
            row["ratio"] = ratio
            target = TARGETS.get((subject, scenario))
            verdict = ""
            if target is not None:
                ok = row["share"] <= target[0] and (ratio is None or ratio <= target[1])
                verdict = f"≤ {target[0] * 100:.1f} % and ≤ {target[1]:.2f}x: {'met' if ok else 'not met'}"
            label = LABELS.get(subject, subject)
            if row["env"] != "project":
                label += f" [openai {_openai(raw, row['env'])}, bare {_fmt(row['bare'])}]"
            lines.append(
                f"| {scenario} | {label} | {_fmt(row['per_call'])} | {_spread(row['runs'])} | "
                f"{_signed(row['added'])} | {row['share'] * 100:.2f} % | "
                f"{'—' if ratio is None else f'{ratio:.2f}x'} | {verdict} |"
            )
        summary[scenario] = rows
    return lines, summary


def _openai(raw: list[dict[str, Any]], env: str) -> str:
    return next((r["openai"] for r in raw if r["env"] == env), "?")


def breakdown(raw: list[dict[str, Any]], summary: dict[str, Any]) -> list[str]:
    """llm_agent's added instructions per call by stage (exclusive: less the stages run inside)."""
    lines: list[str] = []
    for r in sorted((r for r in raw if r["tag"].endswith("stages")), key=lambda r: OURS.index(r["subject"])):
        for scenario, frames in r["stages"].items():
            added = summary.get(scenario, {}).get(r["subject"], {}).get("added")
            if added is None:
                continue
            own: dict[str, float] = {}
            for frame, cost in frames.items():
                inner, _, outer = frame.partition("__in_")
                own[inner] = own.get(inner, 0.0) + cost
                if outer:
                    own[outer] = own.get(outer, 0.0) - cost
            if not lines:
                lines += [
                    "| subject | scenario | " + " | ".join(callgrind_marks.STAGES) + " | rest | added |",
                    "|---|---|" + "---:|" * (len(callgrind_marks.STAGES) + 2),
                ]
            rest = added - sum(own.values())
            cells = [_fmt(own.get(stage, 0.0)) for stage in callgrind_marks.STAGES]
            row = f"| {r['subject']} | {scenario} | " + " | ".join(cells)
            lines.append(row + f" | {_fmt(rest)} | {_signed(added)} |")
    return lines


def render(raw: list[dict[str, Any]], args: argparse.Namespace, elapsed: float, scenarios: list[str]) -> str:
    lines, summary = table(raw, scenarios)
    out = [
        "# Instructions per call, all threads (callgrind)",
        "",
        f"Generated by `python benchmarks/overhead/instructions.py` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: n1={args.n1}, n2={args.n2} calls "
        f"(streams: n1={max(1, args.n1 // STREAM_CALL_DIVISOR)}, n2={max(2, args.n2 // STREAM_CALL_DIVISOR)}), "
        f"warm-up {args.warmup}, {args.runs} run(s) per subject ({args.stream_runs} for the streams), "
        f"{len(raw)} processes, Python {sys.version.split()[0]}, {elapsed:.0f} s.",
        "",
        "*instructions per call* = (I(n2 calls + flush) - I(n1 calls + flush)) / (n2 - n1), every thread, "
        "median of the runs; *spread* = half the runs' range over the median; *added* = against the bare "
        "client of the same environment; *ratio* = added / the lighter contrib's added (openai-v2 or "
        "genai-openai). Every subject has the SDK MeterProvider installed (a reader that collects only when "
        "asked); the peers export through the SDK BatchSpanProcessor to a discarding exporter; the batch delay "
        "is one hour for everyone, so the export threads work only at the flushes.",
        "",
        *lines,
        "",
    ]
    stage_lines = breakdown(raw, summary)
    if stage_lines:
        out += [
            "## llm_agent's added instructions by stage",
            "",
            "Per call, from the `--stages` run (each stage a named C frame; a stage's own cost, less the stages "
            "run inside it). *rest* = the plain run's added instructions less the stages: the wrapt layer, our "
            "wrapper, the context variable, the stream proxy's iteration and whatever else no stage covers.",
            "",
            *stage_lines,
            "",
        ]
    return "\n".join(out)


if __name__ == "__main__":
    main()
