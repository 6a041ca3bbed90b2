"""``llm-agent demo``: record a realistic workload into the sink and show what the analysis sees.

Offline and without an API key: it starts the local OpenAI-compatible server (server.py), points a
real ``openai`` client at it (with a dummy key), runs the workload (workload.py) under
``llm_agent.init()`` and returns what it recorded; the CLI then prints the session and model analysis
of the run (cli.py), so this module never calls back into the CLI.  Every run adds new sessions.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Final

import llm_agent
from llm_agent._demo import agents_sdk, workload
from llm_agent._demo._progress import Progress
from llm_agent._demo.server import DemoServer

DEFAULT_SESSIONS: Final = 36
DEFAULT_WORKERS: Final = 6
#: Real-world latencies times this: short enough to finish in seconds, long enough to be visible.
DEFAULT_DEMO_LATENCY_SCALE: Final = 0.12
#: Typical real-world pause between a user's turns (reading the answer), scaled like the latencies.
DEFAULT_THINK_S: Final = 2.0
#: Random failures the server injects: 3% rate limited, 1.5% server errors.
DEMO_ERROR_RATES: Final = {429: 0.03, 500: 0.015}
#: The key the demo's client sends; the local server wants one, like the real API, but checks nothing.
DEMO_API_KEY: Final = "demo-key-not-a-secret"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="llm-agent demo",
        description="Record a realistic multi-user workload against a local OpenAI-compatible server (offline, "
        "no API key) into the sink, then show the session and model analysis.",
    )
    p.add_argument("--db", help="the sink to write (default: LLM_AGENT_SINK_PATH or ~/.llm_agent/sink.sqlite)")
    p.add_argument(
        "--sessions", type=int, default=DEFAULT_SESSIONS, help=f"sessions to run (default {DEFAULT_SESSIONS})"
    )
    p.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="sessions running at once")
    p.add_argument("--no-failures", action="store_true",
                   help="no failures on purpose (rate limits, server errors, cut-off streams)")  # fmt: skip
    p.add_argument("--seed", type=int, help="make the workload reproducible")
    p.add_argument("--latency-scale", type=float, default=DEFAULT_DEMO_LATENCY_SCALE,
                   help=f"1.0 = real-world latencies (default {DEFAULT_DEMO_LATENCY_SCALE:g})")  # fmt: skip
    return p


class DemoUsageError(ValueError):
    """The demo cannot run with these arguments; the CLI prints the message as it is and exits with status 2."""


@dataclass(frozen=True)
class Recorded:
    """What one run recorded, for the CLI's report: the sink, the run's start, the session to open first."""

    db: str
    started: datetime
    longest_session_id: str
    #: An OpenAI Agents SDK session of the run (None without the SDK).
    agents_sdk_session_id: str | None = None


def record(argv: Sequence[str] | None = None) -> Recorded:
    """Run the workload into the sink (progress on stderr); the caller prints the analysis."""
    args = _parser().parse_args(argv)
    if args.sessions < 1 or args.workers < 1 or args.latency_scale < 0:
        raise DemoUsageError("llm-agent demo: --sessions and --workers must be >= 1, --latency-scale >= 0")
    try:
        import openai
    except ImportError:
        raise DemoUsageError("llm-agent demo needs the openai package: pip install 'llm-agent[openai]'") from None

    seed = args.seed if args.seed is not None else random.SystemRandom().getrandbits(32)
    run_tag = uuid.uuid4().hex[:6]
    plans = workload.plan(args.sessions, seed, run_tag=run_tag)
    with_sdk = agents_sdk.available()
    sdk_plans = agents_sdk.plan(args.sessions, seed, run_tag) if with_sdk else []
    if with_sdk:
        agents_sdk.prepare()
    # The demo's conversations are made up, so it records their content: the session's transcript and
    # the tool calls' arguments show out of the box (an app turns this on itself: capture_content).
    instrument = ["openai", "openai_agents"] if with_sdk else ["openai"]
    agent = llm_agent.init(service_name="llm-agent-demo", sink_path=args.db, backends=["sqlite"], instrument=instrument,
                           capture_content=True)  # fmt: skip
    db = agent.settings.sink_path
    started = datetime.now(timezone.utc) - timedelta(seconds=1)
    t0 = time.monotonic()
    total_turns = sum(p.turns for p in plans + sdk_plans)
    print(f"llm_agent demo: {len(plans)} sessions of {len(workload.USERS)} users against a local OpenAI-compatible "
          f"server (no API key, nothing leaves this machine)\n  writing to {db}", file=sys.stderr)  # fmt: skip
    if with_sdk:
        sessions = f"{len(sdk_plans)} session{'s' if len(sdk_plans) > 1 else ''}"
        print(f"  + {sessions} of an OpenAI Agents SDK agent ({agents_sdk.TRIAGE}: two tools and a handoff to "
              f"{agents_sdk.BILLING})", file=sys.stderr)  # fmt: skip
    else:
        print(f"  ({agents_sdk.INSTALL_HINT})", file=sys.stderr)
    failures = not args.no_failures
    with DemoServer(latency_scale=args.latency_scale, error_rates=DEMO_ERROR_RATES if failures else {}, seed=seed,
                    record_requests=False) as server:  # fmt: skip
        client = openai.OpenAI(base_url=server.base_url, api_key=DEMO_API_KEY, max_retries=0, timeout=30.0)
        progress = Progress(total_turns, "turns")
        think_s = DEFAULT_THINK_S * args.latency_scale
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="demo-agents-sdk-runner") as side:
            # The Agents SDK sessions run beside the others, as another app's users would.
            sdk = side.submit(agents_sdk.run, sdk_plans, base_url=server.base_url, api_key=DEMO_API_KEY,
                              think_s=think_s, on_turn=progress.advance)  # fmt: skip
            outcome = workload.run(client, plans, think_s=think_s, workers=args.workers, on_turn=progress.advance,
                                   failures=failures)  # fmt: skip
            sdk_outcome = sdk.result()
        progress.finish()
    llm_agent.shutdown()
    outcome.llm_calls += sdk_outcome.llm_calls
    outcome.turns_failed += sdk_outcome.turns_failed
    outcome.unexpected.extend(sdk_outcome.unexpected)
    print(f"  {outcome.llm_calls} LLM calls in {time.monotonic() - t0:.1f}s, {outcome.turns_failed} turns failed "
          f"(on purpose: rate limits, server errors, cut-off streams)\n", file=sys.stderr)  # fmt: skip
    for line in sorted(set(outcome.unexpected)):
        print(f"  unexpected failure (please report it): {line}", file=sys.stderr)
    # The session to open first: the longest agent conversation (its transcript shows tool calls), if any.
    agents = [p for p in plans if p.scenario == "agent"]
    longest = max(agents or plans, key=lambda p: p.turns)
    return Recorded(db, started, longest.session_id, sdk_plans[0].session_id if sdk_plans else None)
