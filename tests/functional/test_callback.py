"""POST /jira/callback: exactly one decision wins; losers and latecomers are told why."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from botocore.exceptions import ClientError

from jira_workflow.container import container
from jira_workflow.domain.requests import RequestState
from jira_workflow.handlers import callback
from tests.functional.conftest import Workflow
from tests.support.lambda_events import FakeLambdaContext, api_event, response_json

TOKEN = "AQCEAAAAKgAAAAMAAAAAAAAAAe2secret-task-token"


def decide(body: dict[str, Any] | str) -> dict[str, Any]:
    return callback.handler(api_event("POST", "/jira/callback", body), FakeLambdaContext())


def awaiting_approval(workflow: Workflow, issue_key: str, token: str = TOKEN) -> str:
    """A request waiting on its approval task, as request_approval leaves it."""
    issue = workflow.jira.create_issue("OPS", "Access please", notify=False)
    assert issue == issue_key
    table = container().table
    name = f"{issue_key}-delivery"
    table.claim(
        issue_key, name, "delivery", f"webhooks/{issue_key}/{name}.json", "2026-11-28T00:00:00Z"
    )
    table.store_token(issue_key, name, token, 2_000_000_000)
    table.update(issue_key, name, "2026-11-28T00:00:01Z", state=RequestState.AWAITING_APPROVAL)
    return name


def test_decision_completes_the_pending_task(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    awaiting_approval(workflow, "OPS-1")
    sent: list[dict[str, Any]] = []
    client = container().executions._client
    monkeypatch.setattr(client, "send_task_success", lambda **kw: sent.append(kw) or {})

    response = decide(
        {"issueKey": "OPS-1", "decision": "approved", "actor": "Carol Lead", "comment": "ok"}
    )

    assert response["statusCode"] == 200
    body = response_json(response)
    assert (body["decision"], body["actor"]) == ("approved", "Carol Lead")
    assert TOKEN not in response["body"]
    assert len(sent) == 1
    assert sent[0]["taskToken"] == TOKEN
    record = workflow.record("OPS-1")
    assert (record["state"], record["decision"], record["decision_source"]) == (
        "APPROVED",
        "approved",
        "callback",
    )
    assert workflow.token_item("OPS-1") is None


def test_second_decision_is_409_naming_the_winner(workflow: Workflow) -> None:
    awaiting_approval(workflow, "OPS-1")
    decide({"issueKey": "OPS-1", "decision": "rejected", "actor": "Dana"})

    response = decide({"issueKey": "OPS-1", "decision": "approved", "actor": "Eve"})

    assert response["statusCode"] == 409
    assert response_json(response)["decision"] == "rejected"
    assert response_json(response)["actor"] == "Dana"
    assert workflow.record("OPS-1")["actor"] == "Dana"


def test_concurrent_decisions_exactly_one_wins(workflow: Workflow) -> None:
    awaiting_approval(workflow, "OPS-1")
    results: list[int] = []
    barrier = threading.Barrier(6)

    def racer(i: int) -> None:
        barrier.wait()
        decision = "approved" if i % 2 else "rejected"
        results.append(
            decide({"issueKey": "OPS-1", "decision": decision, "actor": f"racer-{i}"})["statusCode"]
        )

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(results) == [200, 409, 409, 409, 409, 409]


def test_unknown_issue_is_404(workflow: Workflow) -> None:
    response = decide({"issueKey": "OPS-404", "decision": "approved", "actor": "x"})

    assert response["statusCode"] == 404
    assert "OPS-404" in response_json(response)["reason"]


def test_request_not_waiting_for_a_decision_is_404(workflow: Workflow) -> None:
    container().table.claim("OPS-7", "OPS-7-d", "d", "k", "2026-11-28T00:00:00Z")

    response = decide({"issueKey": "OPS-7", "decision": "approved", "actor": "x"})

    assert response["statusCode"] == 404
    assert response_json(response)["error"] == "NoPendingApproval"


@pytest.mark.parametrize("code", ["TaskTimedOut", "InvalidToken", "TaskDoesNotExist"])
def test_decision_after_the_approval_closed_is_410_and_jira_is_told(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch, code: str
) -> None:
    awaiting_approval(workflow, "OPS-1")

    def closed(**_: Any) -> None:
        raise ClientError({"Error": {"Code": code, "Message": "closed"}}, "SendTaskSuccess")

    monkeypatch.setattr(container().executions._client, "send_task_success", closed)

    response = decide({"issueKey": "OPS-1", "decision": "approved", "actor": "Late Larry"})

    assert response["statusCode"] == 410
    assert code in response_json(response)["reason"]
    assert TOKEN not in response["body"]
    record = workflow.record("OPS-1")
    assert record["state"] == "APPROVAL_TIMED_OUT"
    assert "decision" not in record
    assert any("Late Larry" in c and "not applied" in c for c in workflow.jira.comments("OPS-1"))


def test_throttled_completion_withdraws_the_decision_so_a_retry_can_win(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    awaiting_approval(workflow, "OPS-1")
    client = container().executions._client

    def throttled(**_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "ThrottlingException", "Message": "slow"}}, "SendTaskSuccess"
        )

    monkeypatch.setattr(client, "send_task_success", throttled)
    assert decide({"issueKey": "OPS-1", "decision": "approved", "actor": "a"})["statusCode"] == 503
    assert workflow.record("OPS-1")["state"] == "AWAITING_APPROVAL"

    monkeypatch.setattr(client, "send_task_success", lambda **_: {})
    assert decide({"issueKey": "OPS-1", "decision": "approved", "actor": "a"})["statusCode"] == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("{oops", "not valid JSON"),
        ({"decision": "approved", "actor": "x"}, "issueKey"),
        ({"issueKey": "OPS-1", "decision": "maybe", "actor": "x"}, "decision"),
        ({"issueKey": "OPS-1", "decision": "approved"}, "actor"),
        ({"issueKey": "ops 1", "decision": "approved", "actor": "x"}, "issueKey"),
        ({"issueKey": "OPS-1", "decision": "approved", "actor": "x", "extra": 1}, "extra"),
    ],
    ids=["json", "no-key", "bad-decision", "no-actor", "bad-key", "unknown-field"],
)
def test_bad_body_is_400_naming_the_field(workflow: Workflow, body: Any, field: str) -> None:
    response = decide(body)

    assert response["statusCode"] == 400
    assert field in response_json(response)["reason"]


def test_task_token_never_reaches_the_logs(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    awaiting_approval(workflow, "OPS-1")
    monkeypatch.setattr(container().executions._client, "send_task_success", lambda **_: {})

    decide({"issueKey": "OPS-1", "decision": "approved", "actor": "a"})
    decide({"issueKey": "OPS-1", "decision": "approved", "actor": "b"})

    captured = capsys.readouterr()
    assert TOKEN not in captured.out + captured.err


def test_unexpected_step_functions_error_is_503_without_the_token(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    awaiting_approval(workflow, "OPS-1")

    def refused(**kwargs: Any) -> None:
        message = f"Invalid token {kwargs['taskToken']}"
        raise ClientError(
            {"Error": {"Code": "InternalFailure", "Message": message}}, "SendTaskSuccess"
        )

    monkeypatch.setattr(container().executions._client, "send_task_success", refused)

    response = decide({"issueKey": "OPS-1", "decision": "approved", "actor": "a"})

    assert response["statusCode"] == 503
    assert workflow.record("OPS-1")["state"] == "AWAITING_APPROVAL"
    captured = capsys.readouterr()
    assert TOKEN not in response["body"] + captured.out + captured.err
