"""Overhead of llm_agent against the bare OpenAI client and the other OpenAI instrumentations.

    python benchmarks/overhead/run.py [--quick] [--rounds 3] [--calls 1000] [--transport mock|loopback]
                                      [--subjects llm_agent,otel_v2,...] [--no-peers]

Every subject runs in its own fresh process, interleaved over rounds (A B C A B C ...), so a
noisy neighbour slows every subject of a round alike; "added" is a subject's median minus the
bare client's median *in the same round and the same virtual environment*. The peers are
installed by this script into their own virtual environments under benchmarks/.venvs/ (never
into the project's dependencies). Writes benchmarks/results/overhead.md (and .json).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VENVS = HERE.parent / ".venvs"
RESULTS = HERE.parent / "results"
SUBJECT = HERE / "subject.py"

#: Each peer's own environment. The OpenTelemetry contrib instrumentation (2.4b0) imports `httpx`
#: and a module that opentelemetry-util-genai 1.2 removed, so it runs on openai 2.x with
#: util-genai 1.1b0, and its baseline is the bare client of that same environment.
PEERS: dict[str, list[str]] = {
    "otel_v2": [
        "opentelemetry-instrumentation-openai-v2==2.4b0",
        "opentelemetry-util-genai==1.1b0",
        "openai>=2,<3",
        "opentelemetry-sdk",
    ],
    # the official line's successor (open-telemetry/opentelemetry-python-genai); heavier than openai-v2
    "genai_openai": ["opentelemetry-instrumentation-genai-openai==1.3b0", "openai", "opentelemetry-sdk"],
    "openllmetry": ["opentelemetry-instrumentation-openai==0.62.4", "openai", "httpx2", "opentelemetry-sdk"],
    "openinference": ["openinference-instrumentation-openai==0.1.66", "openai", "httpx2", "opentelemetry-sdk"],
}
OURS = ("llm_agent", "llm_agent_sqlite")
SCENARIOS = ("chat", "achat", "chat_stream", "embeddings", "responses", "error")
#: A 50-chunk stream costs ~6 bare chat calls, so it gets fewer calls for a similar wall time.
STREAM_CALL_DIVISOR = 4
TARGETS_US = {("llm_agent", "chat"): 40, ("llm_agent", "chat_stream"): 60, ("llm_agent", "error"): 45,
              ("llm_agent_sqlite", "chat"): 55}  # fmt: skip


def venv_python(name: str) -> Path:
    return VENVS / name / "bin" / "python"


def ensure_venv(name: str, requirements: list[str]) -> Path | None:
    """Create the peer's virtual environment once (a marker file records what it holds)."""
    python = venv_python(name)
    marker = VENVS / name / ".requirements"
    wanted = "\n".join(requirements)
    if python.exists() and marker.exists() and marker.read_text() == wanted:
        return python
    print(f"[setup] building {name} environment: {' '.join(requirements)}", flush=True)
    VENVS.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENVS / name)], check=True)
    done = subprocess.run([str(python), "-m", "pip", "install", "-q", *requirements], capture_output=True, text=True)
    if done.returncode != 0:
        print(f"[setup] {name}: pip failed, skipping this peer:\n{done.stderr[-2000:]}", flush=True)
        return None
    marker.write_text(wanted)
    return python


def run_subject(
    python: Path, subject: str, args: argparse.Namespace, capture: bool, scenarios: list[str]
) -> dict[str, Any] | None:
    results: dict[str, Any] = {"scenarios": {}}
    # streams get fewer calls; run them in their own process call with a scaled count
    groups = [[s for s in scenarios if s != "chat_stream"], [s for s in scenarios if s == "chat_stream"]]
    for group in groups:
        if not group:
            continue
        calls = args.calls // STREAM_CALL_DIVISOR if group == ["chat_stream"] else args.calls
        cmd = [str(python), str(SUBJECT), subject, "--calls", str(calls), "--warmup", str(max(20, calls // 5)),
               "--transport", args.transport, "--scenarios", ",".join(group)]  # fmt: skip
        if capture:
            cmd.append("--capture")
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "OPENAI_API_KEY": "test_openai_api_key"}
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(HERE), timeout=600)
        if done.returncode != 0 or not done.stdout.strip():
            print(f"  ! {subject} failed: {done.stderr[-1500:]}", flush=True)
            return None
        out = json.loads(done.stdout.strip().splitlines()[-1])
        results["scenarios"].update(out["scenarios"])
        results["openai"] = out["openai"]
        results["peak_rss_mib"] = max(results.get("peak_rss_mib", 0.0), out["peak_rss_mib"])
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="1 round of 200 calls (a smoke run, noisy)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--calls", type=int, default=1000)
    ap.add_argument("--transport", choices=("mock", "loopback"), default="mock")
    ap.add_argument("--subjects", default=",".join((*OURS, *PEERS)))
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--out", default=str(RESULTS / "overhead.md"))
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.calls = 1, 200
    subjects = [s for s in args.subjects.split(",") if s and not (args.no_peers and s in PEERS)]
    scenarios = args.scenarios.split(",")

    # environment -> python; "project" is the interpreter running this script
    envs: dict[str, Path] = {"project": Path(sys.executable)}
    for peer in (s for s in subjects if s in PEERS):
        python = ensure_venv(peer, PEERS[peer])
        if python is not None:
            envs[peer] = python
    subjects = [s for s in subjects if s in OURS or s in envs]
    plan: list[tuple[str, str, bool]] = [(env, "bare", False) for env in envs]  # (env, subject, capture)
    for capture in (False, True):
        plan += [("project" if s in OURS else s, s, capture) for s in subjects]

    raw: list[dict[str, Any]] = []
    started = time.monotonic()
    for rnd in range(args.rounds):
        for env, subject, capture in plan:
            t0 = time.monotonic()
            res = run_subject(envs[env], subject, args, capture, scenarios)
            print(f"[round {rnd + 1}/{args.rounds}] {env:>13}/{subject:<16} capture={'on ' if capture else 'off'} "
                  f"{time.monotonic() - t0:5.1f}s", flush=True)  # fmt: skip
            if res is not None:
                raw.append({"round": rnd, "env": env, "subject": subject, "capture": capture, **res})
    elapsed = time.monotonic() - started

    RESULTS.mkdir(parents=True, exist_ok=True)
    out = Path(args.out)
    out.with_suffix(".json").write_text(json.dumps(raw, indent=1))
    out.write_text(render(raw, args, elapsed))
    print(f"wrote {out} ({elapsed:.0f} s)")


def _med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _matches(row: dict[str, Any], capture: bool) -> bool:
    """The project's bare client is the reference row; other subjects by their capture mode."""
    if row["subject"] == "bare":
        return row["env"] == "project"
    return row["capture"] == capture


def render(raw: list[dict[str, Any]], args: argparse.Namespace, elapsed: float) -> str:
    bare = {(r["round"], r["env"]): r for r in raw if r["subject"] == "bare"}
    lines = [
        "# Overhead per OpenAI call",
        "",
        f"Generated by `python benchmarks/overhead/run.py` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: "
        f"{args.rounds} round(s) of {args.calls} calls per scenario "
        f"({args.calls // STREAM_CALL_DIVISOR} for the stream), "
        f"transport `{args.transport}`, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {elapsed:.0f} s.",
        "",
        "*added* = the subject's median minus the bare client's median in the same round and the same virtual "
        "environment (median over rounds); *ratio* = subject / bare. RSS growth is per 1,000 calls after warm-up "
        "(allocator noise of a few hundred KiB is normal). Peers export through the SDK `BatchSpanProcessor` to a "
        "discarding exporter; `llm_agent` to a discarding exporter; `llm_agent_sqlite` to the default SQLite sink.",
        "",
    ]
    versions = sorted({(r["env"], r.get("openai", "?")) for r in raw if r["subject"] == "bare"})
    lines.append("openai SDK per environment: " + ", ".join(f"{env} {v}" for env, v in versions) + ".")
    lines.append("")
    for capture in (False, True):
        lines += [
            f"## Content capture {'on' if capture else 'off'}",
            "",
            "| scenario | subject | median µs | added µs | ratio | p99 µs | peak RSS MiB | RSS KiB/1k calls "
            "| spans/call | target |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        scenarios = [s for s in SCENARIOS if any(s in r["scenarios"] for r in raw)]
        for scenario in scenarios:
            others = sorted({r["subject"] for r in raw if r["subject"] != "bare"}, key=lambda s: (s not in OURS, s))
            subjects = ["bare", *others]
            for subject in subjects:
                rows = [
                    r for r in raw if r["subject"] == subject and scenario in r["scenarios"] and _matches(r, capture)
                ]
                if not rows:
                    continue
                s = [r["scenarios"][scenario] for r in rows]
                added, ratio = [], []
                for r in rows:
                    base = bare.get((r["round"], r["env"]))
                    if base and scenario in base["scenarios"]:
                        b = base["scenarios"][scenario]["median_us"]
                        added.append(r["scenarios"][scenario]["median_us"] - b)
                        ratio.append(r["scenarios"][scenario]["median_us"] / b)
                target = TARGETS_US.get((subject, scenario))
                verdict = ""
                if target is not None and added:
                    verdict = f"≤ {target}: {'met' if _med(added) <= target else 'MISSED'}"
                env = rows[0]["env"]
                label = subject if env in ("project", subject) else f"{subject} ({env})"
                if subject != "bare" and env != "project":
                    label += f" [openai {rows[0].get('openai', '?')}]"
                lines.append(
                    f"| {scenario} | {label} | {_med([x['median_us'] for x in s]):.0f} | "
                    f"{_med(added):+.0f} | {_med(ratio):.2f} | {_med([x['p99_us'] for x in s]):.0f} | "
                    f"{max(r['peak_rss_mib'] for r in rows):.0f} | "
                    f"{_med([x['rss_growth_kib_per_1k'] for x in s]):.0f} | "
                    f"{_med([x['spans_per_call'] for x in s]):.2f} | {verdict} |"
                )
        lines.append("")
    peer_bares = [r for r in raw if r["subject"] == "bare" and r["env"] != "project"]
    if peer_bares:
        lines += [
            "Bare client medians in the peers' environments (their baselines), µs:",
            "",
            "| environment | openai | " + " | ".join(SCENARIOS) + " |",
            "|---|---|" + "---:|" * len(SCENARIOS),
        ]
        for env in sorted({r["env"] for r in peer_bares}):
            rows = [r for r in peer_bares if r["env"] == env]
            cells = [
                f"{_med([r['scenarios'][s]['median_us'] for r in rows if s in r['scenarios']]):.0f}" for s in SCENARIOS
            ]
            lines.append(f"| {env} | {rows[0].get('openai', '?')} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
