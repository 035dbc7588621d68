"""Scenario 2: requests awaiting approval, each decided by several people at once through
both endpoints (the callback and a Jira status change); exactly one decision may win."""

from __future__ import annotations

import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from local_cloud.fake_jira.model import DEFAULT_APPROVER_GROUP
from workflow_tools.load.deliveries import JIRA_RETRIED
from workflow_tools.load.report import PhaseResult
from workflow_tools.load.target import (
    HIGH_RISK,
    Answer,
    LoadTarget,
    create_request,
    issue_created_body,
    status_changed_body,
)

STATUS_FOR = {"approved": "Approved", "rejected": "Rejected"}
OUTCOME_FOR = {"approved": "FULFILLED", "rejected": "REJECTED"}
TERMINAL = frozenset({"FULFILLED", "REJECTED", "FAILED", "APPROVAL_TIMED_OUT"})


@dataclass(frozen=True)
class Racer:
    issue_key: str
    endpoint: str  # "callback" or "webhook"
    decision: str  # "approved" or "rejected"
    actor: str


@dataclass(frozen=True)
class RaceAnswer:
    racer: Racer
    answer: Answer

    @property
    def won(self) -> bool:
        if self.answer.status != 200:
            return False
        return "ignored" not in self.answer.body and "decision" in self.answer.body


def awaiting_requests(target: LoadTarget, count: int, timeout: float, progress: Any) -> list[str]:
    """`count` high-risk requests, started by their webhook and waiting for a decision."""
    keys = []
    for n in range(count):
        key = create_request(target.jira, f"Race request {n}", HIGH_RISK)
        keys.append(key)
    with ThreadPoolExecutor(20) as pool:
        list(pool.map(lambda k: _start(target, k), keys))
    progress(f"  {count} requests started; waiting for each to await approval")
    wait_for_states(target, keys, {"AWAITING_APPROVAL"}, timeout)
    return keys


def _start(target: LoadTarget, key: str) -> None:
    body = issue_created_body(target.jira, key)
    delivery_id = str(uuid.uuid4())
    for _ in range(6):
        if target.send_webhook(body, delivery_id, kind="webhook").status not in JIRA_RETRIED:
            return
        time.sleep(0.2)


def wait_for_states(
    target: LoadTarget, keys: list[str], states: set[str] | frozenset[str], timeout: float
) -> dict[str, str]:
    """Poll the status API until every key is in one of `states`; returns the last states."""
    deadline = time.monotonic() + timeout
    last: dict[str, str] = {}
    pending = set(keys)
    while pending and time.monotonic() < deadline:
        for key in sorted(pending):
            answer = target.status(key)
            last[key] = str(answer.body.get("state", answer.status))
            # A request that ended elsewhere will not reach `states`: stop waiting for it.
            if last[key] in states or last[key] in TERMINAL:
                pending.discard(key)
        if pending:
            time.sleep(0.5)
    return last


def racers_for(keys: list[str], per_issue: int, rng: random.Random) -> list[Racer]:
    racers = []
    for key in keys:
        for n in range(per_issue):
            racers.append(
                Racer(
                    key,
                    "callback" if n % 2 == 0 else "webhook",
                    rng.choice(("approved", "rejected")),
                    f"Racer {n}",
                )
            )
    return racers  # grouped by issue: one issue's racers run side by side


def race(target: LoadTarget, racer: Racer) -> RaceAnswer:
    if racer.endpoint == "callback":
        return RaceAnswer(racer, target.send_decision(racer.issue_key, racer.decision, racer.actor))
    body = status_changed_body(
        target.jira, racer.issue_key, STATUS_FOR[racer.decision], racer.actor
    )
    delivery_id = str(uuid.uuid4())
    answer = target.send_webhook(body, delivery_id, kind="webhook decision")
    for _ in range(5):  # as Jira retries
        if answer.status not in JIRA_RETRIED:
            break
        time.sleep(0.2)
        answer = target.send_webhook(body, delivery_id, kind="webhook decision")
    return RaceAnswer(racer, answer)


def run(
    target: LoadTarget,
    count: int,
    per_issue: int,
    concurrency: int,
    timeout: float,
    rng: random.Random,
    progress: Any,
) -> PhaseResult:
    result = PhaseResult(f"decisions: {count} approvals, {per_issue} racing decisions each")
    progress(f"preparing {count} requests awaiting approval")
    keys = awaiting_requests(target, count, timeout, progress)
    racers = racers_for(keys, per_issue, rng)
    # Status changes decide only when an approver makes them: the racers moving issues are.
    for name in {r.actor for r in racers if r.endpoint == "webhook"}:
        target.jira.add_to_group(DEFAULT_APPROVER_GROUP, name)
    progress(f"racing {len(racers)} decisions, {concurrency} in flight")
    started = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        answers = list(pool.map(lambda r: race(target, r), racers))
    result.seconds = time.monotonic() - started
    result.requests = len(answers)
    progress("  waiting for every decided execution to finish")
    final = wait_for_states(target, keys, TERMINAL, timeout)
    check(target, keys, answers, final, result)
    return result


def check(
    target: LoadTarget,
    keys: list[str],
    answers: list[RaceAnswer],
    final: dict[str, str],
    result: PhaseResult,
) -> None:
    counts = result.counts
    counts["approvals"] = len(keys)
    counts["decisions sent"] = len(answers)
    records = target.records()
    executions = {e["name"]: e for e in target.executions()}
    for key in keys:
        mine = [a for a in answers if a.racer.issue_key == key]
        winners = [a for a in mine if a.won]
        if len(winners) != 1:
            counts["double effects" if winners else "lost"] += 1
            told = "; ".join(f"{a.racer.endpoint} {a.answer.status} {a.answer.body}" for a in mine)
            result.problem(f"{key}: {len(winners)} winning decisions ({told})")
            continue
        winner = winners[0].racer
        actor = recorded_actor(winners[0])
        counts["decisions recorded"] += 1
        for loser in (a for a in mine if not a.won):
            check_loser(key, winner.decision, actor, loser, counts, result)
        record = records.get(key, {})
        if (record.get("decision"), record.get("actor")) != (winner.decision, actor):
            result.problem(f"{key}: record says {record.get('decision')} by {record.get('actor')}")
        if final.get(key) != OUTCOME_FOR[winner.decision]:
            result.problem(
                f"{key}: ended {final.get(key)}, expected {OUTCOME_FOR[winner.decision]}"
            )
        execution = executions.get(str(record.get("execution_name")))
        if execution is None or execution["status"] != "SUCCEEDED":
            result.problem(f"{key}: execution {execution and execution['status']}")
    counts.setdefault("lost", 0)
    counts.setdefault("double effects", 0)


def recorded_actor(winner: RaceAnswer) -> str:
    """Who the record must name: the decide key's name for a callback (the authenticated
    caller, which its answer states), the mover for a status change."""
    if winner.racer.endpoint == "callback":
        return str(winner.answer.body.get("actor", ""))
    return winner.racer.actor


def check_loser(
    key: str, decision: str, actor: str, loser: RaceAnswer, counts: Any, result: PhaseResult
) -> None:
    """Callback losers get 409 naming the winner; Jira's status changes get 200 + reason
    (Jira would retry a 409 forever)."""
    body = loser.answer.body
    if loser.racer.endpoint == "callback":
        counts["losers told 409"] += loser.answer.status == 409
        if loser.answer.status != 409 or (body.get("decision"), body.get("actor")) != (
            decision,
            actor,
        ):
            result.problem(f"{key}: callback loser got {loser.answer.status} {body}")
        return
    counts["losers told 200 + reason"] += loser.answer.status == 200
    reason = str(body.get("ignored", ""))
    if loser.answer.status != 200 or f"{decision} by {actor}" not in reason:
        result.problem(f"{key}: webhook loser got {loser.answer.status} {body}")
