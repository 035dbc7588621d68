"""Scenario 1: Jira delivers webhooks for many distinct issues, some more than once, while
StartExecution is throttled; every delivery must end in exactly one execution.

With a replay share, the run goes in two waves: the second wave's deliveries are mixed with
late retries of first-wave deliveries (same id, same body), the same signed bodies replayed
under new delivery ids, and signed "-> Approved" bodies captured before each request. None
may start, decide or change anything: the first wave's records are compared before and after.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import requests

from workflow_tools.load.report import PhaseResult
from workflow_tools.load.target import (
    HIGH_RISK,
    Answer,
    LoadTarget,
    create_request,
    issue_created_body,
    status_changed_body,
)

# Jira Cloud retries a delivery answered 408/409/429/5xx (or not answered) a few times,
# with backoff. We wait at most RETRY_WAIT_CAP of the Retry-After: the order of events is
# what is under test, not the wall time.
JIRA_RETRIED = frozenset({408, 409, 429, 500, 502, 503, 504})
JIRA_MAX_ATTEMPTS = 6
RETRY_WAIT_CAP = 0.5
# What a replayed body must leave as it was on the request record it finds.
REQUEST_IDENTITY = ("execution_name", "execution_arn", "delivery_id", "created_at")
LATE_RETRY, SIGNED_REPLAY, OLD_APPROVAL = "late retry", "signed replay", "old approval"


@dataclass
class Delivery:
    """One Jira delivery (one X-Atlassian-Webhook-Identifier) and what each copy got."""

    issue_key: str
    delivery_id: str
    body: bytes
    copies: int
    answers: list[Answer] = field(default_factory=list)
    attempts: int = 0
    statuses: list[int] = field(default_factory=list)  # every attempt's status (0: no answer)


@dataclass
class Replay:
    """A first-wave delivery sent again during the second wave."""

    kind: str  # LATE_RETRY, SIGNED_REPLAY or OLD_APPROVAL
    original: Delivery
    body: bytes
    delivery_id: str
    copies: int = 1
    answers: list[Answer] = field(default_factory=list)
    attempts: int = 0
    statuses: list[int] = field(default_factory=list)

    @property
    def issue_key(self) -> str:
        return self.original.issue_key


def plan(
    target: LoadTarget, count: int, duplicate_rate: float, rng: random.Random
) -> list[Delivery]:
    """Create `count` issues in the fake Jira (no webhook of its own) and their deliveries."""
    deliveries = []
    for n in range(count):
        key = create_request(target.jira, f"Load request {n}", HIGH_RISK)
        copies = 1 + (rng.choice((1, 1, 2)) if rng.random() < duplicate_rate else 0)
        body = issue_created_body(target.jira, key)
        deliveries.append(Delivery(key, str(uuid.uuid4()), body, copies))
    return deliveries


def deliver_like_jira(target: LoadTarget, delivery: Delivery | Replay) -> Answer | None:
    """One copy of a delivery, retried as Jira retries; None if every attempt failed."""
    for attempt in range(JIRA_MAX_ATTEMPTS):
        delivery.attempts += 1
        try:
            answer = target.send_webhook(delivery.body, delivery.delivery_id)
        except requests.RequestException:
            answer = None
        delivery.statuses.append(answer.status if answer else 0)
        if answer is not None and answer.status not in JIRA_RETRIED:
            return answer
        wait = answer.retry_after if answer and answer.retry_after else 0.1 * 2**attempt
        time.sleep(min(wait, RETRY_WAIT_CAP))
    return None


def run(
    target: LoadTarget,
    count: int,
    concurrency: int,
    duplicate_rate: float,
    throttle_rate: float,
    rng: random.Random,
    progress: Any,
    replay_rate: float = 0.0,
) -> PhaseResult:
    replaying = f", {replay_rate:.0%} replayed" if replay_rate else ""
    result = PhaseResult(
        f"webhooks: {count} issues, {concurrency} in flight, {throttle_rate:.0%} throttled"
        f"{replaying}"
    )
    deliveries = plan(target, count, duplicate_rate, rng)
    first_wave = deliveries[: count // 2] if replay_rate else deliveries
    second_wave = deliveries[len(first_wave) :]
    progress(
        f"sending {sum(d.copies for d in deliveries)} deliveries ({len(deliveries)} distinct), "
        f"StartExecution throttled at {throttle_rate:.0%}"
    )
    target.throttle_start_execution(throttle_rate)
    started = time.monotonic()
    replays: list[Replay] = []
    try:
        send_wave(target, first_wave, concurrency, rng, progress)
        if second_wave:
            before = target.records()
            replays = plan_replays(target, first_wave, before, replay_rate, rng)
            progress(f"  second wave, with {len(replays)} late retries and signed replays mixed in")
            mixed: list[Delivery | Replay] = [*second_wave, *replays]
            send_wave(target, mixed, concurrency, rng, progress)
    finally:
        target.throttle_start_execution(0.0)
    exhausted = [d for d in deliveries if len(d.answers) < d.copies]
    if exhausted:
        # Jira gave up on these; the design's answer is the reconciler (EventBridge
        # Scheduler), which starts requests stuck in RECEIVED. Fire it as its tick would.
        progress(f"  {len(exhausted)} deliveries exhausted Jira's retries: running the reconciler")
        target.session.run_reconciler()
    result.seconds = time.monotonic() - started
    result.requests = sum(d.attempts for d in deliveries) + sum(r.attempts for r in replays)
    check(target, deliveries, result)
    if second_wave:
        check_replays(target, replays, before, result)
    return result


def send_wave(
    target: LoadTarget,
    sends: Sequence[Delivery | Replay],
    concurrency: int,
    rng: random.Random,
    progress: Any,
) -> None:
    # Every copy is its own task, shuffled: duplicates race their originals.
    copies = [d for d in sends for _ in range(d.copies)]
    rng.shuffle(copies)
    with ThreadPoolExecutor(concurrency) as pool:
        for done, (delivery, answer) in enumerate(
            pool.map(lambda d: (d, deliver_like_jira(target, d)), copies), start=1
        ):
            if answer is not None:
                delivery.answers.append(answer)
            if done % 250 == 0:
                progress(f"  {done}/{len(copies)} deliveries answered")


def plan_replays(
    target: LoadTarget,
    first_wave: list[Delivery],
    records: dict[str, dict[str, Any]],
    rate: float,
    rng: random.Random,
) -> list[Replay]:
    """Of first-wave deliveries whose request is recorded as started: a late retry, the
    signed body under a new delivery id, and an approval captured before the request."""
    started = [
        d
        for d in first_wave
        if records.get(d.issue_key, {}).get("execution_arn")
        and any(a.status in (200, 202) for a in d.answers)
    ]
    chosen = rng.sample(started, round(len(started) * rate))
    replays = []
    for delivery in chosen:
        sent_ms = int(json.loads(delivery.body)["timestamp"])
        approval = status_changed_body(
            target.jira, delivery.issue_key, "Approved", "Mallory Replayer", sent_ms - 60_000
        )
        replays += [
            Replay(LATE_RETRY, delivery, delivery.body, delivery.delivery_id),
            Replay(SIGNED_REPLAY, delivery, delivery.body, str(uuid.uuid4())),
            Replay(OLD_APPROVAL, delivery, approval, str(uuid.uuid4())),
        ]
    return replays


def check(target: LoadTarget, deliveries: list[Delivery], result: PhaseResult) -> None:
    """Exactly one execution per distinct delivery; every copy saw that same execution."""
    counts = result.counts
    counts["distinct deliveries"] = len(deliveries)
    counts["copies sent"] = sum(d.copies for d in deliveries)
    counts["http requests (with retries)"] = result.requests
    statuses = [status for d in deliveries for status in d.statuses]
    counts["answers 503 (Jira retried)"] = statuses.count(503)
    counts["answers other 5xx/none"] = sum(s >= 500 or s == 0 for s in statuses) - statuses.count(
        503
    )
    executions_by_issue: dict[str, list[str]] = defaultdict(list)
    for execution in target.executions():
        executions_by_issue[issue_of(execution["name"])].append(execution["executionArn"])
    records = target.records()
    for delivery in deliveries:
        arns = {a.body.get("executionArn") for a in delivery.answers if a.status in (200, 202)}
        # Copies racing each other may both answer 202: StartExecution with the same name
        # and input is idempotent, so both report the one execution.
        counts["answers 202 (started)"] += sum(a.status == 202 for a in delivery.answers)
        counts["answers 200 (duplicate)"] += sum(
            a.status == 200 and a.body.get("duplicate") is True for a in delivery.answers
        )
        started = executions_by_issue.get(delivery.issue_key, [])
        if (
            not arns
            and len(started) == 1
            and records.get(delivery.issue_key, {}).get("execution_arn") == started[0]
        ):
            counts["recovered by the reconciler"] += 1  # Jira gave up; nothing was lost
            continue
        if not arns or None in arns:
            counts["lost"] += 1
            result.problem(f"{delivery.issue_key}: no execution reported: {delivery.answers[:1]}")
            continue
        if len(arns) > 1:
            counts["double effects"] += 1
            result.problem(f"{delivery.issue_key}: copies saw different executions {arns}")
        if len(started) != 1:
            counts["double effects" if started else "lost"] += 1
            result.problem(f"{delivery.issue_key}: {len(started)} executions")
        record = records.get(delivery.issue_key)
        if record is None or record.get("execution_arn") not in arns:
            result.problem(f"{delivery.issue_key}: request record missing or points elsewhere")
    counts["executions"] = sum(len(executions_by_issue.get(d.issue_key, [])) for d in deliveries)
    counts.setdefault("lost", 0)
    counts.setdefault("double effects", 0)
    counts.setdefault("recovered by the reconciler", 0)


def issue_of(execution_name: str) -> str:
    """`OPS-12-<delivery id>` → `OPS-12` (load runs use plain keys and UUID delivery ids)."""
    return "-".join(execution_name.split("-", 2)[:2])


def check_replays(
    target: LoadTarget,
    replays: list[Replay],
    before: dict[str, dict[str, Any]],
    result: PhaseResult,
) -> None:
    """Late retries answer their own execution; replays are ignored; no record moves."""
    counts = result.counts
    after = target.records()
    for replay in replays:
        answer = replay.answers[0] if replay.answers else None
        original = {a.body.get("executionArn") for a in replay.original.answers} - {None}
        if answer is None or answer.status != 200:
            result.problem(f"{replay.issue_key}: {replay.kind} answered {answer}")
        elif replay.kind == LATE_RETRY:
            counts["late retries answered duplicate"] += 1
            if answer.body.get("duplicate") is not True or answer.body.get("executionArn") not in (
                original
            ):
                result.problem(f"{replay.issue_key}: late retry answered {answer.body}")
        elif "ignored" in answer.body:
            counts[f"{replay.kind}s ignored"] += 1
        else:
            counts["double effects"] += 1
            result.problem(f"{replay.issue_key}: {replay.kind} acted: {answer.body}")
    for key in sorted({r.issue_key for r in replays}):
        was, now = before.get(key, {}), after.get(key, {})
        moved = [name for name in REQUEST_IDENTITY if was.get(name) != now.get(name)]
        reset = now.get("state") == "RECEIVED" and was.get("state") != "RECEIVED"
        if moved or reset or now.get("decision"):
            counts["records disturbed"] += 1
            result.problem(f"{key}: replays changed {moved or now.get('state')}")
    counts.setdefault("records disturbed", 0)
