"""The arithmetic the load and bench reports rest on, without a stack: percentiles, the
billing counts read from an execution history, and DynamoDB write units."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from workflow_tools.bench.cost import PathCounts
from workflow_tools.bench.stack import (
    dynamodb_reads,
    dynamodb_writes,
    for_issue,
    s3_requests,
    state_transitions,
    task_durations,
)
from workflow_tools.load.deliveries import issue_of
from workflow_tools.load.report import percentile

T0 = datetime(2026, 11, 28, tzinfo=UTC)


def event(
    event_id: int, kind: str, ms: int, previous: int = 0, **details: object
) -> dict[str, Any]:
    return {"id": event_id, "type": kind, "timestamp": T0 + timedelta(milliseconds=ms),
            "previousEventId": previous, **details}  # fmt: skip


def scheduled(event_id: int, ms: int, previous: int, function: str) -> dict[str, Any]:
    parameters = json.dumps({"FunctionName": f"arn:aws:lambda:eu-west-1:1:function:{function}"})
    return event(
        event_id, "TaskScheduled", ms, previous,
        taskScheduledEventDetails={"parameters": parameters},
    )  # fmt: skip


def test_percentile_is_nearest_rank() -> None:
    samples = [float(n) for n in range(1, 101)]
    assert (percentile(samples, 0.5), percentile(samples, 0.95), percentile(samples, 0.99)) == (
        50.0,
        95.0,
        99.0,
    )
    assert percentile([], 0.5) == 0.0


def test_a_retried_task_bills_a_transition_per_attempt_and_each_attempt_duration() -> None:
    history = [
        event(1, "ExecutionStarted", 0),
        event(2, "TaskStateEntered", 0, 1),
        scheduled(3, 10, 2, "jira-workflow-local-enrich-request"),
        event(4, "TaskStarted", 20, 3),
        event(5, "TaskFailed", 110, 4),
        scheduled(6, 1110, 5, "jira-workflow-local-enrich-request"),
        event(7, "TaskStarted", 1120, 6),
        event(8, "TaskSucceeded", 1160, 7),
        event(9, "TaskStateExited", 1160, 8),
        event(10, "SucceedStateEntered", 1161, 9),
    ]

    assert state_transitions(history) == 3  # two states entered, one retry attempt
    durations = task_durations(history)
    assert [name for name, _ in durations] == ["enrich_request", "enrich_request"]
    assert [round(seconds, 3) for _, seconds in durations] == [0.1, 0.05]


def test_write_units_count_items_and_double_for_transactions() -> None:
    def call(target: str, body: dict[str, Any]) -> dict[str, Any]:
        encoded = base64.b64encode(json.dumps(body).encode()).decode()
        return {"headers": {"X-Amz-Target": f"DynamoDB_20120810.{target}"}, "body": encoded,
                "body_encoded": True}  # fmt: skip

    recording = [
        call("PutItem", {"TableName": "t"}),
        call("GetItem", {"TableName": "t"}),
        call("BatchWriteItem", {"RequestItems": {"t": [{}, {}, {}]}}),
        call("TransactWriteItems", {"TransactItems": [{}, {}]}),
        {"headers": {"X-Amz-Target": "AWSStepFunctions.StartExecution"}, "body": "{}"},
    ]

    assert dynamodb_writes(recording) == 1 + 3 + 4


def test_cost_per_thousand_requests_uses_the_public_prices() -> None:
    counts = PathCounts("p", 10, 8, 1.0, 2, 12)
    cost = counts.cost_per_thousand()
    assert round(cost["step_functions"], 6) == 0.25  # 10 x $0.025 / 1000 x 1000
    assert round(cost["api_gateway"], 6) == 0.007
    # On-demand writes are $0.625 per million since November 2024 (they were $1.25).
    assert round(cost["dynamodb"], 6) == 0.0075
    assert round(cost["lambda"], 6) == round(8 * 0.2 / 1000 + 0.0133334, 6)


def test_execution_names_map_back_to_their_issue() -> None:
    assert issue_of("OPS-12-3f1705f5-05f6-41c6-8dfd-2c83e21b707c") == "OPS-12"


def test_s3_and_dynamodb_reads_are_counted_for_one_issue_only() -> None:
    def signed(service: str, method: str, url: str, body: str = "") -> dict[str, Any]:
        credential = f"Credential=local/20261129/eu-west-1/{service}/aws4_request, Sig=x"
        return {"headers": {"Authorization": f"AWS4-HMAC-SHA256 {credential}"},
                "method": method, "url": url, "body": body}  # fmt: skip

    def dynamodb(target: str, key: str, consistent: bool = False) -> dict[str, Any]:
        entry = signed("dynamodb", "POST", "http://127.0.0.1/")
        entry["headers"]["X-Amz-Target"] = f"DynamoDB_20120810.{target}"
        entry["body"] = json.dumps({"Key": {"pk": {"S": key}}, "ConsistentRead": consistent})
        return entry

    recording = [
        signed("s3", "PUT", "http://127.0.0.1/bucket/requests/OPS-1/x/request.json"),
        signed("s3", "GET", "http://127.0.0.1/bucket/requests/OPS-1/x/request.json"),
        signed("s3", "PUT", "http://127.0.0.1/bucket/requests/OPS-12/y/request.json"),
        dynamodb("GetItem", "OPS-1"),
        dynamodb("GetItem", "OPS-1", consistent=True),
        dynamodb("UpdateItem", "OPS-1"),
        dynamodb("UpdateItem", "OPS-12"),
    ]

    mine = for_issue(recording, "OPS-1")

    assert s3_requests(mine) == (1, 1)
    assert dynamodb_reads(mine) == 1.5
    assert dynamodb_writes(mine) == 1


def test_s3_requests_are_priced_apart_from_dynamodb() -> None:
    counts = PathCounts("p", 0, 0, 0.0, 0, 0, dynamodb_reads=8, s3_writes=5, s3_reads=3)
    cost = counts.cost_per_thousand()
    assert round(cost["s3_requests"], 7) == round(5 * 0.005 + 3 * 0.0004, 7)
    assert round(cost["dynamodb"], 7) == round(8 * 0.125 / 1000, 7)
