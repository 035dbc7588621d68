"""POST /jira/webhook against moto: each delivery answered from its own item, late retries
and signed replays that touch nothing, and concurrent copies of one delivery."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from jira_workflow.clock import utc_now
from jira_workflow.container import container
from jira_workflow.domain.requests import RequestState
from tests.functional.conftest import Workflow, signed_headers
from tests.functional.test_webhook import deliver
from tests.support.jira_payloads import issue_created, now_ms, status_changed
from tests.support.lambda_events import response_json


def set_state(workflow: Workflow, issue_key: str, state: RequestState) -> None:
    """Move the issue's current request on, as its execution's steps would."""
    name = workflow.record(issue_key)["execution_name"]
    container().table.update(issue_key, name, utc_now(), state=state)


def await_approval(workflow: Workflow, issue_key: str) -> None:
    """The current request waits for a decision, as request_approval leaves it."""
    name = workflow.record(issue_key)["execution_name"]
    set_state(workflow, issue_key, RequestState.AWAITING_APPROVAL)
    container().table.store_token(issue_key, name, f"token-{name}", int(time.time()) + 3600)


def approved_in_jira(workflow: Workflow, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Step Functions accepts every completion; returns what was sent."""
    sent: list[dict[str, Any]] = []

    def accept(**kwargs: Any) -> dict[str, Any]:
        sent.append(kwargs)
        return {}

    monkeypatch.setattr(container().executions._client, "send_task_success", accept)
    return sent


# ---- case 2: a late retry of an older delivery ------------------------------------------


def test_late_retry_of_an_older_delivery_points_at_its_own_execution_and_leaves_the_newer(
    workflow: Workflow,
) -> None:
    first_body = issue_created("OPS-20", timestamp=now_ms() - 1000)
    first = response_json(deliver(first_body, "d1"))
    set_state(workflow, "OPS-20", RequestState.FULFILLED)
    second = deliver(status_changed("OPS-20", "Done", "Submitted"), "d2")
    assert second["statusCode"] == 202
    set_state(workflow, "OPS-20", RequestState.FULFILLED)
    newer = workflow.record("OPS-20")

    retry = deliver(first_body, "d1")  # Jira retries d1: same body, same delivery id

    assert retry["statusCode"] == 200
    assert response_json(retry) == {**first, "duplicate": True}
    assert workflow.record("OPS-20") == newer
    assert len(workflow.executions()) == 2


def test_start_that_finds_its_execution_ended_reports_its_status(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first attempt started the execution, then died before noting it anywhere.
    client = container().executions._client
    real_start = client.start_execution
    started: list[str] = []

    def start_then_die(**kwargs: Any) -> Any:
        started.append(real_start(**kwargs)["executionArn"])
        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "x"}}, "Start")

    monkeypatch.setattr(client, "start_execution", start_then_die)
    body = issue_created("OPS-22", timestamp=now_ms() - 1000)
    assert deliver(body, "d1")["statusCode"] == 503
    monkeypatch.setattr(client, "start_execution", real_start)
    workflow.sfn.stop_execution(executionArn=started[0])

    retry = response_json(deliver(body, "d1"))

    assert retry["executionArn"] == started[0]
    assert (retry["duplicate"], retry["executionStatus"]) == (True, "ABORTED")


# ---- case 3: signed replays and stale deliveries ----------------------------------------


def test_signed_issue_created_replayed_with_a_new_delivery_id_starts_nothing(
    workflow: Workflow,
) -> None:
    captured = issue_created("OPS-23", timestamp=now_ms() - 1000)
    assert deliver(captured, "original")["statusCode"] == 202
    set_state(workflow, "OPS-23", RequestState.FULFILLED)
    before = workflow.record("OPS-23")

    replay = deliver(captured, "replayed-with-a-new-id")

    assert replay["statusCode"] == 200
    assert "older than the issue's current request" in response_json(replay)["ignored"]
    assert workflow.record("OPS-23") == before
    assert len(workflow.executions()) == 1
    assert deliver(captured, "replayed-with-a-new-id")["statusCode"] == 200  # and stays so


def test_replayed_old_approval_does_not_decide_a_later_request(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = approved_in_jira(workflow, monkeypatch)
    deliver(issue_created("OPS-24", timestamp=now_ms() - 2000), "r1")
    await_approval(workflow, "OPS-24")
    approval = status_changed("OPS-24", "Awaiting Approval", "Approved")
    assert response_json(deliver(approval, "a1"))["decision"] == "approved"
    assert workflow.lambdas.run_queued() == [{"outcome": "completed"}]
    set_state(workflow, "OPS-24", RequestState.FULFILLED)
    assert deliver(status_changed("OPS-24", "Done", "Submitted"), "r2")["statusCode"] == 202
    await_approval(workflow, "OPS-24")

    replay = deliver(approval, "a1-replayed")

    assert replay["statusCode"] == 200
    assert "older than the issue's current request" in response_json(replay)["ignored"]
    record = workflow.record("OPS-24")
    assert (record["state"], record.get("decision")) == ("AWAITING_APPROVAL", None)
    assert workflow.token_item("OPS-24") is not None
    assert len(sent) == 1  # the first request's approval only


def test_delivery_older_than_the_window_starts_nothing(workflow: Workflow) -> None:
    two_hours_ago = now_ms() - 2 * 3600 * 1000

    response = deliver(issue_created("OPS-25", timestamp=two_hours_ago), "old-1")

    assert response["statusCode"] == 200
    assert "older than the 3600 s window" in response_json(response)["ignored"]
    assert workflow.find_record("OPS-25") is None
    assert workflow.executions() == []
    assert workflow.s3_keys() == []


def test_window_is_the_configured_one(workflow: Workflow, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_MAX_AGE_SECONDS", str(3 * 3600))
    two_hours_ago = now_ms() - 2 * 3600 * 1000

    assert deliver(issue_created("OPS-26", timestamp=two_hours_ago), "old-2")["statusCode"] == 202


def test_body_without_its_signed_timestamp_is_400(workflow: Workflow) -> None:
    document = json.loads(issue_created("OPS-27"))
    del document["timestamp"]

    response = deliver(json.dumps(document).encode(), "no-time")

    assert response["statusCode"] == 400
    assert "timestamp" in response_json(response)["reason"]


# ---- case 4: concurrent copies of one delivery ------------------------------------------


def test_concurrent_copies_of_one_delivery_start_once_and_answer_duplicates(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    deliver(issue_created("OPS-28"), "warm-up")  # builds the clients before the race
    s3 = container().artifacts._client
    real_put = s3.put_object
    payload_writes: list[str] = []

    def counted_put(**kwargs: Any) -> Any:
        payload_writes.append(kwargs["Key"])
        return real_put(**kwargs)

    monkeypatch.setattr(s3, "put_object", counted_put)
    body = issue_created("OPS-29")
    headers = signed_headers(body, "same-delivery")
    caplog.clear()

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: deliver(body, headers=headers), range(20)))

    statuses = sorted(a["statusCode"] for a in answers)
    bodies = [response_json(a) for a in answers]
    assert statuses == [200] * 19 + [202]
    assert sorted(b["duplicate"] for b in bodies) == [False] + [True] * 19
    assert len({b["executionArn"] for b in bodies}) == 1
    assert len([e for e in workflow.executions() if e["name"].startswith("OPS-29-")]) == 1
    assert len(payload_writes) == 1
    assert [r.getMessage() for r in caplog.records].count("request started") == 1


def test_copy_arriving_after_a_failed_start_finishes_it_once(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = container().executions._client
    real_start = client.start_execution
    calls: list[str] = []

    def throttled_once(**kwargs: Any) -> Any:
        calls.append(kwargs["name"])
        if len(calls) == 1:
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "x"}}, "Start")
        return real_start(**kwargs)

    monkeypatch.setattr(client, "start_execution", throttled_once)
    body = issue_created("OPS-30")

    assert deliver(body, "retry-1")["statusCode"] == 503
    assert deliver(body, "retry-1")["statusCode"] == 202  # the lease was given back
    assert deliver(body, "retry-1")["statusCode"] == 200
    assert len(workflow.executions()) == 1
