"""Figures that need the local stack: warm latency, webhook throughput, and per-path
state transitions, Lambda invocations, API requests and DynamoDB writes.

DynamoDB writes are counted with moto's request recorder (every AWS call the functions
make reaches the emulator over HTTP); transitions and task invocations come from
GetExecutionHistory, as they would in AWS.
"""

from __future__ import annotations

import base64
import json
import re
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from workflow_tools.bench.cost import PathCounts
from workflow_tools.load.target import (
    HIGH_RISK,
    LOW_RISK,
    LoadTarget,
    create_request,
    issue_created_body,
)

DYNAMODB_WRITES = frozenset(
    {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
)
DYNAMODB_READS = frozenset({"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"})
# S3 bills PUT, COPY, POST and LIST at the write rate; everything else at the read rate.
S3_WRITE_METHODS = frozenset({"PUT", "POST"})
_SIGV4_SERVICE = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request")
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Warm:
    webhook_to_awaiting_s: float
    decision_to_succeeded_s: float

    @property
    def total_s(self) -> float:
        return self.webhook_to_awaiting_s + self.decision_to_succeeded_s


class Recorder:
    """moto's request recorder, switched on around one request's path."""

    def __init__(self, aws_endpoint: str, recording: Path) -> None:
        self._base = f"{aws_endpoint}/moto-api/recorder"
        self._file = recording

    def start(self) -> None:
        requests.post(f"{self._base}/reset-recording", timeout=30).raise_for_status()
        requests.post(f"{self._base}/start-recording", timeout=30).raise_for_status()

    def stop(self) -> list[dict[str, Any]]:
        requests.post(f"{self._base}/stop-recording", timeout=30).raise_for_status()
        if not self._file.exists():
            return []
        return json_records(self._file.read_text())


def json_records(text: str) -> list[dict[str, Any]]:
    """The recorder's JSON records. moto appends one per line from every request thread
    without a lock, so two records can share a line: read them back to back instead."""
    decoder, at = json.JSONDecoder(), 0
    records: list[dict[str, Any]] = []
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            return records
        record, at = decoder.raw_decode(text, at)
        records.append(record)


def dynamodb_writes(recording: list[dict[str, Any]]) -> int:
    count = 0
    for entry in recording:
        target = entry["headers"].get("X-Amz-Target", "")
        if target.startswith("DynamoDB_") and target.split(".", 1)[1] in DYNAMODB_WRITES:
            count += _write_units(entry)
    return count


def dynamodb_reads(recording: list[dict[str, Any]]) -> float:
    """Read units: one per strongly consistent item read (ours are under 4 KB), half when
    eventually consistent; a Query counts the items it returned as one read per call here,
    a bound that holds for our single-item queries."""
    units = 0.0
    for entry in recording:
        target = entry["headers"].get("X-Amz-Target", "")
        if target.startswith("DynamoDB_") and target.split(".", 1)[1] in DYNAMODB_READS:
            units += 1.0 if _body(entry).get("ConsistentRead") else 0.5
    return units


def s3_requests(recording: list[dict[str, Any]]) -> tuple[int, int]:
    """(write-priced, read-priced) S3 requests, told apart by the SigV4 service name."""
    writes = reads = 0
    for entry in recording:
        match = _SIGV4_SERVICE.search(entry["headers"].get("Authorization", ""))
        if match is None or match.group(1) != "s3":
            continue
        if entry.get("method") in S3_WRITE_METHODS or "list-type=" in entry.get("url", ""):
            writes += 1
        else:
            reads += 1
    return writes, reads


def for_issue(recording: list[dict[str, Any]], issue_key: str) -> list[dict[str, Any]]:
    """The calls made for one issue: its key is in every item key and every object key."""
    pattern = re.compile(rf"(?<![\w-]){re.escape(issue_key)}(?![\d])")
    return [e for e in recording if pattern.search(e.get("url", "")) or pattern.search(_text(e))]


def _text(entry: dict[str, Any]) -> str:
    body = entry.get("body") or ""
    if entry.get("body_encoded"):
        try:
            return base64.b64decode(body).decode("utf-8", errors="replace")
        except ValueError:
            return ""
    return str(body)


def _body(entry: dict[str, Any]) -> dict[str, Any]:
    try:
        document = json.loads(_text(entry))
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def _write_units(entry: dict[str, Any]) -> int:
    """One write unit per item (ours are all under 1 KB); batch calls count each item."""
    document = _body(entry)
    if "TransactItems" in document:
        return 2 * len(document["TransactItems"])  # transactions cost double
    if "RequestItems" in document:
        return sum(len(items) for items in document["RequestItems"].values())
    return 1


# ---- driving one request ---------------------------------------------------------------


def wait_for(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(POLL_SECONDS)
    raise TimeoutError(f"{what} after {timeout:.0f}s")


def state_of(target: LoadTarget, key: str) -> str:
    return str(target.status(key).body.get("state", ""))


def execution_end(target: LoadTarget, arn: str) -> dict[str, Any] | None:
    described: dict[str, Any] = target.session.client("stepfunctions").describe_execution(
        executionArn=arn
    )
    return described if described["status"] != "RUNNING" else None


def start(target: LoadTarget, key: str) -> str:
    answer = target.send_webhook(issue_created_body(target.jira, key), str(uuid.uuid4()))
    if answer.status != 202:
        raise RuntimeError(f"webhook for {key} answered {answer.status}: {answer.body}")
    return str(answer.body["executionArn"])


def warm_run(target: LoadTarget, timeout: float) -> Warm:
    """Webhook → awaiting approval → callback decision → execution SUCCEEDED.

    Each leg ends at the emulator's own timestamp (the approval task's TaskSubmitted event,
    written when its function has stored the token; the execution's stopDate), not when a
    poll noticed it, so the bench's polling interval is in neither figure."""
    key = create_request(target.jira, "Bench request", HIGH_RISK)
    started = time.time()
    arn = start(target, key)
    wait_for(lambda: state_of(target, key) == "AWAITING_APPROVAL", timeout, f"{key} awaiting")
    decided = time.time()
    target.send_decision(key, "approved", "Bench Approver")
    end = wait_for(lambda: execution_end(target, arn), timeout, f"{key} finished")
    if end["status"] != "SUCCEEDED":
        raise RuntimeError(f"{key} ended {end['status']}")
    submitted = approval_submitted_at(execution_history(target, arn))
    return Warm(submitted - started, end["stopDate"].timestamp() - decided)


def approval_submitted_at(history: list[dict[str, Any]]) -> float:
    """When the callback task (the approval request) was submitted: the first TaskSubmitted."""
    for event in history:
        if event["type"] == "TaskSubmitted":
            return float(event["timestamp"].timestamp())
    raise RuntimeError("the execution has no TaskSubmitted event (no approval was requested)")


def throughput(target: LoadTarget, count: int, concurrency: int) -> tuple[float, float]:
    """(webhooks/s, status reads/s) over the same API front, measured back to back."""
    keys = [create_request(target.jira, f"Throughput {n}", HIGH_RISK) for n in range(count)]
    bodies = [(issue_created_body(target.jira, k), str(uuid.uuid4())) for k in keys]
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lambda b: target.send_webhook(b[0], b[1], kind="bench webhook"), bodies))
    webhook_rps = count / (time.perf_counter() - started)
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(target.status, keys))
    return webhook_rps, count / (time.perf_counter() - started)


# ---- one path, counted -----------------------------------------------------------------


@dataclass(frozen=True)
class PathPlan:
    name: str
    risk_label: str
    decision: str | None  # None: no human decision on this path
    valid: bool = True  # False: the issue has no summary, so validation fails


PATHS = (
    PathPlan("happy (approved)", HIGH_RISK, "approved"),
    PathPlan("rejected", HIGH_RISK, "rejected"),
    PathPlan("auto-approved", LOW_RISK, None),
    PathPlan("failed (invalid)", HIGH_RISK, None, valid=False),
)


def count_path(
    target: LoadTarget,
    plan: PathPlan,
    recorder: Recorder,
    memory_mb: dict[str, int],
    timeout: float,
) -> PathCounts:
    key = target.jira.create_issue(
        "OPS",
        f"Bench {plan.name}" if plan.valid else "",
        status="Submitted",
        description="Needed for the benchmark.",
        labels=[plan.risk_label],
        notify=False,
    )
    # The throughput phase leaves executions waiting for a human (up to the approval
    # timeout), so the backlog never drains; calls are attributed to this issue instead.
    recorder.start()
    api_seconds: list[float] = []
    started = time.perf_counter()
    arn = start(target, key)
    api_seconds.append(time.perf_counter() - started)
    if plan.decision:
        wait_for(lambda: state_of(target, key) == "AWAITING_APPROVAL", timeout, f"{key} awaiting")
        started = time.perf_counter()
        target.send_decision(key, plan.decision, "Bench Approver")
        api_seconds.append(time.perf_counter() - started)
    wait_for(lambda: execution_end(target, arn), timeout, f"{key} finished")
    target.jira.wait_for_deliveries(timeout=30)  # Jira's own webhooks for our transitions
    recording = for_issue(recorder.stop(), key)
    s3_writes, s3_reads = s3_requests(recording)
    history = execution_history(target, arn)
    echoes = [d for d in target.jira.deliveries if d.issue_key == key]
    api_requests = len(api_seconds) + len(echoes)
    task_seconds = task_durations(history)
    api_memory = memory_mb.get("webhook", 256)
    echo_seconds = statistics.median(api_seconds) * len(echoes)
    gb_seconds = (
        sum(seconds * memory_mb.get(function, 256) / 1024 for function, seconds in task_seconds)
        + (sum(api_seconds) + echo_seconds) * api_memory / 1024
    )
    return PathCounts(
        path=plan.name,
        state_transitions=state_transitions(history),
        lambda_invocations=len(task_seconds) + api_requests,
        lambda_gb_seconds=gb_seconds,
        api_requests=api_requests,
        dynamodb_writes=dynamodb_writes(recording),
        dynamodb_reads=dynamodb_reads(recording),
        s3_writes=s3_writes,
        s3_reads=s3_reads,
    )


def execution_history(target: LoadTarget, arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = target.session.client("stepfunctions").get_execution_history(
        executionArn=arn, maxResults=1000
    )["events"]
    return events


def state_transitions(history: list[dict[str, Any]]) -> int:
    """What Standard workflows bill: every state entered, and every retry attempt."""
    types = [str(event["type"]) for event in history]
    entered = sum(kind.endswith("StateEntered") for kind in types)
    task_states = types.count("TaskStateEntered")
    attempts = types.count("TaskScheduled")
    return entered + max(0, attempts - task_states)


def task_durations(history: list[dict[str, Any]]) -> list[tuple[str, float]]:
    """(function, seconds) per Lambda task attempt: scheduled until it answered (for a
    callback task, until it handed its token over; the wait that follows is not Lambda's)."""
    open_tasks: dict[int, tuple[str, Any]] = {}
    durations = []
    for event in history:
        kind = event["type"]
        if kind == "TaskScheduled":
            details = event["taskScheduledEventDetails"]
            parameters = json.loads(details.get("parameters") or "{}")
            function = str(parameters.get("FunctionName", "")).rsplit(":", 1)[-1]
            open_tasks[event["id"]] = (function, event["timestamp"])
        elif kind in ("TaskSucceeded", "TaskFailed", "TaskSubmitted", "TaskTimedOut"):
            scheduled_id = _scheduled_id(event, history, open_tasks)
            if scheduled_id in open_tasks:
                function, began = open_tasks.pop(scheduled_id)
                durations.append(
                    (_function_key(function), (event["timestamp"] - began).total_seconds())
                )
    return durations


def _scheduled_id(
    event: dict[str, Any], history: list[dict[str, Any]], open_tasks: dict[int, Any]
) -> int:
    # Events point back to their predecessor; walk back to the TaskScheduled still open.
    previous = event.get("previousEventId", 0)
    by_id = {e["id"]: e for e in history}
    while previous and previous not in open_tasks:
        previous = by_id.get(previous, {}).get("previousEventId", 0)
    return int(previous)


def _function_key(function_name: str) -> str:
    """`jira-workflow-local-request-approval` → `request_approval` (the design's keys)."""
    for key in (
        "validate_request",
        "enrich_request",
        "store_artifacts",
        "request_approval",
        "fulfil_request",
        "report_outcome",
        "record_failure",
    ):
        if function_name.endswith(key.replace("_", "-")) or function_name.endswith(key):
            return key
    return function_name


def memory_by_function(target: LoadTarget) -> dict[str, int]:
    """MemorySize of each deployed function, keyed by its handler module."""
    lambda_client = target.session.client("lambda")
    sizes = {}
    for page in lambda_client.get_paginator("list_functions").paginate():
        for function in page["Functions"]:
            module = function.get("Handler", "").rsplit(".", 2)[-2]
            sizes[module] = int(function.get("MemorySize", 128))
    return sizes
