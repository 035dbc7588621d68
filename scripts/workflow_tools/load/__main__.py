#!/usr/bin/env python3
"""Load and faults against the local stack (emulator + fake Jira + the real Terraform),
over HTTP on 127.0.0.1. Three scenarios, each checked, then one report:

  1. webhooks: N distinct issues, C in flight, a share delivered twice or more with the
     same X-Atlassian-Webhook-Identifier, while StartExecution is throttled on a share of
     calls; 503s are retried as Jira retries. Exactly one execution per delivery, none lost.
     Its second half carries late retries of first-half deliveries, their signed bodies
     under new delivery ids and old signed approvals: none may disturb a record.
     1b. the same with a short burst of heavy throttling, so deliveries do get 503s.
  2. decisions: M requests awaiting approval, R racing decisions each (approve/reject,
     callback and Jira status change). Exactly one wins; callback losers get 409 naming it.
  3. faults: the external APIs answer 5xx, time out or are slow at set rates. Every request
     ends FULFILLED, or FAILED with Jira told; none stuck.

Exits 0 only if every check held; 1 on a loss or double effect; 2 if the run could not
happen (the stack did not start, the time limit passed).

Examples:
  python -m workflow_tools.load         # the full run (make load)
  python -m workflow_tools.load --webhooks 100 --burst-webhooks 40 --decisions 10 \
      --fault-requests 10
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import threading
import time
from pathlib import Path
from typing import Any

from workflow_tools import REPO_ROOT
from workflow_tools.load import decisions, deliveries, faults
from workflow_tools.load.report import Latencies, PhaseResult, as_json, render
from workflow_tools.load.target import LoadError, LoadTarget, start_stack


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--webhooks", type=int, default=1000, help="distinct issues (1)")
    parser.add_argument("--concurrency", type=int, default=50, help="requests in flight")
    parser.add_argument("--duplicate-rate", type=float, default=0.3, help="share sent 2-3x")
    parser.add_argument("--throttle-rate", type=float, default=0.1, help="StartExecution")
    parser.add_argument(
        "--replay-rate", type=float, default=0.2, help="(1) share of first-half deliveries replayed"
    )
    parser.add_argument("--burst-webhooks", type=int, default=100, help="(1b) issues")
    parser.add_argument("--burst-rate", type=float, default=0.6, help="(1b) throttle rate")
    parser.add_argument("--decisions", type=int, default=100, help="approvals raced (2)")
    parser.add_argument("--racers", type=int, default=5, help="decisions per approval")
    parser.add_argument("--fault-requests", type=int, default=100, help="requests (3)")
    parser.add_argument("--http-timeout", type=int, default=2, help="functions' outbound")
    parser.add_argument("--phase-timeout", type=float, default=600, help="seconds per wait")
    parser.add_argument("--time-limit", type=float, default=1800, help="whole run, seconds")
    parser.add_argument("--seed", type=int, default=5, help="for duplicates and decisions")
    parser.add_argument("--json", type=Path, help="also write the report as JSON here")
    parser.add_argument(
        "--state-dir", type=Path, default=REPO_ROOT / ".local" / "load", help="stack files"
    )
    parser.add_argument("--terraform-dir", type=Path, help="root module (default: the repo's)")
    return parser.parse_args(argv)


def progress_printer() -> Any:
    started = time.monotonic()

    def progress(message: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {message}", flush=True)

    return progress


def stop_at_time_limit(seconds: float, on_limit: Any) -> threading.Timer:
    """The run is bounded: past the limit, stop the stack and exit 2 whatever is running."""

    def expire() -> None:
        print(f"error: time limit of {seconds:.0f}s passed", file=sys.stderr, flush=True)
        on_limit()
        os._exit(2)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    return timer


def run_scenarios(target: LoadTarget, args: argparse.Namespace, progress: Any) -> list[PhaseResult]:
    rng = random.Random(args.seed)
    phases = []
    if args.webhooks:
        progress(f"scenario 1: {args.webhooks} webhooks")
        phases.append(
            deliveries.run(
                target,
                args.webhooks,
                args.concurrency,
                args.duplicate_rate,
                args.throttle_rate,
                rng,
                progress,
                args.replay_rate,
            )
        )
    if args.burst_webhooks:
        # At 10 % the functions' SDK retries absorb nearly every throttle (5 attempts), so
        # a burst at a high rate is what drives deliveries to 503 and Jira's retries. Not
        # higher than ~60 %: then Jira's own 6 attempts can all fail, and the reconciler
        # only restarts such a request after 5 minutes (STUCK_AFTER), past this run.
        progress(f"scenario 1b: {args.burst_webhooks} webhooks, throttled at {args.burst_rate:.0%}")
        phases.append(
            deliveries.run(
                target,
                args.burst_webhooks,
                args.concurrency,
                args.duplicate_rate,
                args.burst_rate,
                rng,
                progress,
            )
        )
    if args.decisions:
        progress(f"scenario 2: {args.decisions} approvals x {args.racers} racing decisions")
        phases.append(
            decisions.run(
                target,
                args.decisions,
                args.racers,
                args.concurrency,
                args.phase_timeout,
                rng,
                progress,
            )
        )
    if args.fault_requests:
        progress(f"scenario 3: {args.fault_requests} requests with failing external APIs")
        phases.append(
            faults.run(target, args.fault_requests, args.http_timeout, args.phase_timeout, progress)
        )
    return phases


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    progress = progress_printer()
    progress("starting the local stack (emulator, fake Jira, terraform apply)")
    try:
        session = start_stack(args.state_dir, args.terraform_dir, args.http_timeout)
    except LoadError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    timer = stop_at_time_limit(args.time_limit, session.stop)
    latencies = Latencies()
    try:
        progress(f"stack up: {session.info['api_url']}")
        phases = run_scenarios(LoadTarget(session, latencies), args, progress)
    except LoadError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        timer.cancel()
        session.stop()
    print(render(phases, latencies), flush=True)
    if args.json:
        args.json.write_text(as_json(phases, latencies) + "\n")
    failed = [p.name for p in phases if not p.passed]
    if failed:
        print(f"error: checks failed in {'; '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
