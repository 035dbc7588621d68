"""Scenario 3: the external APIs fail (5xx, timeouts, slow answers) at set rates; every
request must end fulfilled, or failed with Jira told, within a bound: none stuck."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from workflow_tools.load.decisions import TERMINAL, wait_for_states
from workflow_tools.load.deliveries import JIRA_RETRIED
from workflow_tools.load.report import PhaseResult
from workflow_tools.load.target import LOW_RISK, LoadTarget, create_request, issue_created_body


def fault_rounds(http_timeout: int) -> list[dict[str, Any]]:
    """Each round's plan for the mock API (one fault per endpoint at a time)."""
    return [
        {
            "enrich": {"mode": "503", "rate": 0.3},
            "fulfil": {"mode": "timeout", "rate": 0.2, "seconds": http_timeout + 1},
        },
        {
            "enrich": {"mode": "slow", "rate": 0.3, "seconds": max(0.5, http_timeout / 2)},
            "fulfil": {"mode": "500", "rate": 0.6},
        },
    ]


def start_requests(target: LoadTarget, count: int, label: str) -> list[str]:
    keys = [create_request(target.jira, f"Fault request {n}", label) for n in range(count)]

    def start(key: str) -> None:
        body, delivery_id = issue_created_body(target.jira, key), str(uuid.uuid4())
        for _ in range(6):
            if target.send_webhook(body, delivery_id).status not in JIRA_RETRIED:
                return
            time.sleep(0.2)

    with ThreadPoolExecutor(20) as pool:
        list(pool.map(start, keys))
    return keys


def run(
    target: LoadTarget, count: int, http_timeout: int, timeout: float, progress: Any
) -> PhaseResult:
    result = PhaseResult(f"external API faults: {count} auto-approved requests")
    started = time.monotonic()
    rounds = fault_rounds(http_timeout)
    per_round = max(1, count // len(rounds))
    final: dict[str, str] = {}
    try:
        for plan in rounds:
            progress(f"  faults {plan}: {per_round} requests")
            target.set_external_faults(plan)
            keys = start_requests(target, per_round, LOW_RISK)
            final.update(wait_for_states(target, keys, TERMINAL, timeout))
    finally:
        target.set_external_faults({})
    result.seconds = time.monotonic() - started
    result.requests = len(final)
    check(target, final, result)
    return result


def check(target: LoadTarget, final: dict[str, str], result: PhaseResult) -> None:
    counts = result.counts
    counts["requests"] = len(final)
    for key, state in final.items():
        if state == "FULFILLED":
            counts["fulfilled"] += 1
        elif state == "FAILED":
            counts["failed, Jira told"] += 1
            comments = target.jira.comments(key)
            if not any("could not be completed" in c for c in comments):
                result.problem(f"{key}: FAILED but Jira was not told")
        else:
            counts["stuck"] += 1
            result.problem(f"{key}: still {state} at the deadline")
    counts.setdefault("stuck", 0)
