"""POST /jira/callback: exactly one decision wins; losers and latecomers are told why."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from jira_workflow.container import container
from jira_workflow.domain.requests import RequestState
from jira_workflow.handlers import callback
from tests.functional.conftest import DECIDE_KEY_ID, DECIDE_KEY_NAME, READ_KEY_ID, Workflow
from tests.support.lambda_events import (
    FakeLambdaContext,
    api_event,
    response_header,
    response_json,
)

TOKEN = "AQCEAAAAKgAAAAMAAAAAAAAAAe2secret-task-token"
ENDPOINT = "https://states.eu-west-1.amazonaws.com/"
APPROVE = {"issueKey": "OPS-1", "decision": "approved", "actor": "Carol Lead", "comment": "ok"}


def decide(body: dict[str, Any] | str, api_key_id: str | None = DECIDE_KEY_ID) -> dict[str, Any]:
    """POST the body as API Gateway hands it on, having checked the key `api_key_id`."""
    response: dict[str, Any] = callback.handler(
        api_event("POST", "/jira/callback", body, api_key_id=api_key_id), FakeLambdaContext()
    )
    return response


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

    def send_task_success(**kwargs: Any) -> dict[str, Any]:
        sent.append(kwargs)
        return {}

    monkeypatch.setattr(container().executions._client, "send_task_success", send_task_success)

    response = decide(
        {"issueKey": "OPS-1", "decision": "approved", "actor": "Carol Lead", "comment": "ok"}
    )

    assert response["statusCode"] == 200
    body = response_json(response)
    assert (body["decision"], body["actor"], body["note"]) == (
        "approved",
        DECIDE_KEY_NAME,
        "Carol Lead",
    )
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
    assert response_json(response)["actor"] == DECIDE_KEY_NAME
    assert workflow.record("OPS-1")["actor"] == DECIDE_KEY_NAME
    assert workflow.record("OPS-1")["decision_comment"] == "(sent for Dana)"


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
    assert any(DECIDE_KEY_NAME in c and "not applied" in c for c in workflow.jira.comments("OPS-1"))


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
        ({"issueKey": "OPS-1", "decision": "approved", "actor": "x" * 257}, "actor"),
        ({"issueKey": "ops 1", "decision": "approved", "actor": "x"}, "issueKey"),
        ({"issueKey": "OPS-1", "decision": "approved", "actor": "x", "extra": 1}, "extra"),
    ],
    ids=["json", "no-key", "bad-decision", "long-actor", "bad-key", "unknown-field"],
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


# ---- no answer from Step Functions: the decision stays, a retry finishes it -------------


def send_task_success_answers(
    monkeypatch: pytest.MonkeyPatch, *answers: Exception | None
) -> list[dict[str, Any]]:
    """SendTaskSuccess raises each error in turn (None: succeeds); returns what was sent."""
    sent: list[dict[str, Any]] = []
    pending = list(answers)

    def send(**kwargs: Any) -> dict[str, Any]:
        sent.append(kwargs)
        answer = pending.pop(0)
        if answer is not None:
            raise answer
        return {}

    monkeypatch.setattr(container().executions._client, "send_task_success", send)
    return sent


def closed_task(code: str = "InvalidToken") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "closed"}}, "SendTaskSuccess")


NO_ANSWERS: list[Callable[[], Exception]] = [
    lambda: ReadTimeoutError(endpoint_url=ENDPOINT),
    lambda: ConnectTimeoutError(endpoint_url=ENDPOINT),
    lambda: EndpointConnectionError(endpoint_url=ENDPOINT),
    lambda: ConnectionClosedError(endpoint_url=ENDPOINT),
]


@pytest.mark.parametrize(
    "no_answer", NO_ANSWERS, ids=["read-timeout", "connect-timeout", "endpoint", "closed"]
)
def test_no_answer_keeps_the_decision_and_token_and_is_503(
    workflow: Workflow,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    no_answer: Callable[[], Exception],
) -> None:
    awaiting_approval(workflow, "OPS-1")
    send_task_success_answers(monkeypatch, no_answer())

    response = decide(APPROVE)

    assert response["statusCode"] == 503
    assert response_json(response)["error"] == "CompletionUnconfirmed"
    assert response_header(response, "Retry-After")
    record = workflow.record("OPS-1")
    assert (record["state"], record["decision"], record["actor"]) == (
        "APPROVED",
        "approved",
        DECIDE_KEY_NAME,
    )
    assert workflow.token_item("OPS-1") is not None
    assert "completion is unconfirmed" in caplog.text
    captured = capsys.readouterr()
    assert TOKEN not in response["body"] + caplog.text + captured.out + captured.err


def test_retry_of_the_same_decision_after_no_answer_completes_it(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    awaiting_approval(workflow, "OPS-1")
    sent = send_task_success_answers(monkeypatch, ReadTimeoutError(endpoint_url=ENDPOINT), None)

    first = decide(APPROVE)
    retry = decide(APPROVE)

    assert (first["statusCode"], retry["statusCode"]) == (503, 200)
    assert response_json(retry)["decidedAt"] == workflow.record("OPS-1")["decided_at"]
    assert [s["taskToken"] for s in sent] == [TOKEN, TOKEN]
    assert json.loads(sent[0]["output"]) == json.loads(sent[1]["output"])
    assert workflow.token_item("OPS-1") is None


def test_retry_after_no_answer_finds_the_first_send_applied_and_is_200(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    awaiting_approval(workflow, "OPS-1")
    send_task_success_answers(monkeypatch, ReadTimeoutError(endpoint_url=ENDPOINT), closed_task())

    decide(APPROVE)
    retry = decide(APPROVE)

    assert retry["statusCode"] == 200
    assert workflow.record("OPS-1")["state"] == "APPROVED"
    assert workflow.token_item("OPS-1") is None
    assert not any("not applied" in c for c in workflow.jira.comments("OPS-1"))


def test_retry_that_again_gets_no_answer_is_503_and_keeps_the_token(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    awaiting_approval(workflow, "OPS-1")
    timeouts = (ReadTimeoutError(endpoint_url=ENDPOINT), ReadTimeoutError(endpoint_url=ENDPOINT))
    send_task_success_answers(monkeypatch, *timeouts)

    assert [decide(APPROVE)["statusCode"] for _ in timeouts] == [503, 503]
    assert workflow.token_item("OPS-1") is not None


def test_different_decision_after_an_unconfirmed_one_is_409_naming_the_winner(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    awaiting_approval(workflow, "OPS-1")
    sent = send_task_success_answers(monkeypatch, ReadTimeoutError(endpoint_url=ENDPOINT))
    decide(APPROVE)

    response = decide({"issueKey": "OPS-1", "decision": "rejected", "actor": "Dana"})

    assert response["statusCode"] == 409
    assert (response_json(response)["decision"], response_json(response)["actor"]) == (
        "approved",
        DECIDE_KEY_NAME,
    )
    assert len(sent) == 1
    assert workflow.record("OPS-1")["decision"] == "approved"
    assert workflow.token_item("OPS-1") is not None


def test_repeat_of_a_confirmed_decision_is_still_409(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    awaiting_approval(workflow, "OPS-1")
    sent = send_task_success_answers(monkeypatch, None)

    assert decide(APPROVE)["statusCode"] == 200
    assert decide(APPROVE)["statusCode"] == 409
    assert len(sent) == 1


def test_retry_after_the_approval_timed_out_is_410(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = awaiting_approval(workflow, "OPS-1")
    sent = send_task_success_answers(monkeypatch, ReadTimeoutError(endpoint_url=ENDPOINT))
    decide(APPROVE)
    # The first send never arrived: the task timed out and the workflow reported it.
    container().table.update(
        "OPS-1", name, "2026-11-28T01:00:00Z", state=RequestState.APPROVAL_TIMED_OUT
    )

    response = decide(APPROVE)

    assert response["statusCode"] == 410
    assert len(sent) == 1


@pytest.mark.parametrize("refusal", ["InvalidToken", "ThrottlingException"])
def test_refusal_of_the_first_send_after_a_resend_landed_keeps_the_decision(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch, refusal: str
) -> None:
    awaiting_approval(workflow, "OPS-1")
    calls: list[str] = []
    retries: list[dict[str, Any]] = []

    def send(**_: Any) -> dict[str, Any]:
        calls.append("send")
        if len(calls) == 1:  # the first send: its caller's retry lands before it is answered
            retries.append(decide(APPROVE))
            raise closed_task(refusal)
        return {}

    monkeypatch.setattr(container().executions._client, "send_task_success", send)

    first = decide(APPROVE)

    assert (first["statusCode"], retries[0]["statusCode"]) == (503, 200)
    record = workflow.record("OPS-1")
    assert (record["state"], record["decision"]) == ("APPROVED", "approved")
    assert workflow.token_item("OPS-1") is None
    assert not any("not applied" in c for c in workflow.jira.comments("OPS-1"))


def test_replayed_late_decisions_tell_jira_once(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = awaiting_approval(workflow, "OPS-1")
    container().table.update("OPS-1", name, "2026-11-28Z", approval_requested_at="2026-11-28Z")
    send_task_success_answers(monkeypatch, closed_task("TaskTimedOut"))
    late = {"issueKey": "OPS-1", "decision": "approved", "actor": "Late Larry"}

    answers = [decide(late)["statusCode"] for _ in range(3)]

    assert answers == [410, 410, 410]
    told = [c for c in workflow.jira.comments("OPS-1") if DECIDE_KEY_NAME in c]
    assert len(told) == 1
    assert "after its approval had closed" in told[0]


def test_a_decision_on_a_request_that_never_awaited_one_says_so(workflow: Workflow) -> None:
    key = workflow.jira.create_issue("OPS", "Broken request", notify=False)
    table = container().table
    table.claim(key, f"{key}-exec", "d", "k", "2026-11-28T00:00:00Z")
    table.update(key, f"{key}-exec", "2026-11-28T00:00:01Z", state=RequestState.FAILED)
    late = {"issueKey": key, "decision": "rejected", "actor": "Rita"}

    assert decide(late)["statusCode"] == 410
    assert decide(late)["statusCode"] == 410

    told = [c for c in workflow.jira.comments(key) if DECIDE_KEY_NAME in c]
    assert len(told) == 1
    assert "had ended (FAILED) before it ever waited for a decision" in told[0]
    assert "approval had closed" not in told[0]


# ---- who may decide: the decide key, not the read key ----------------------------------


@pytest.mark.parametrize("api_key_id", [READ_KEY_ID, None], ids=["read-key", "no-key-id"])
def test_a_key_that_may_only_read_is_refused_403_and_nothing_is_decided(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch, api_key_id: str | None
) -> None:
    awaiting_approval(workflow, "OPS-1")
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(
        container().executions._client, "send_task_success", lambda **kw: sent.append(kw)
    )

    response = decide(APPROVE, api_key_id=api_key_id)

    assert response["statusCode"] == 403
    assert response_json(response) == {
        "error": "CallerNotAllowed",
        "reason": "this API key may read requests but not decide them",
    }
    assert workflow.record("OPS-1")["state"] == "AWAITING_APPROVAL"
    assert sent == []


def test_the_recorded_actor_is_the_decide_keys_name_and_the_body_actor_a_note(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    awaiting_approval(workflow, "OPS-1")
    monkeypatch.setattr(container().executions._client, "send_task_success", lambda **_: {})

    response = decide({"issueKey": "OPS-1", "decision": "rejected", "actor": "Mallory CEO"})

    assert response["statusCode"] == 200
    record = workflow.record("OPS-1")
    assert (record["actor"], record["decision_comment"]) == (
        DECIDE_KEY_NAME,
        "(sent for Mallory CEO)",
    )


def test_a_decision_while_the_approval_step_is_retried_completes_with_the_new_token(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    # RequestApproval's first attempt stored token-1 and failed after posting its comment;
    # the state machine's retry is storing token-2 as the approver decides.
    name = awaiting_approval(workflow, "OPS-1", token="token-1")
    sent: list[str] = []

    def send(**kwargs: Any) -> dict[str, Any]:
        sent.append(kwargs["taskToken"])
        if kwargs["taskToken"] == "token-1":
            container().table.store_token("OPS-1", name, "token-2", 2_000_000_000)
            raise closed_task("TaskTimedOut")
        return {}

    monkeypatch.setattr(container().executions._client, "send_task_success", send)

    response = decide(APPROVE)

    assert response["statusCode"] == 200
    assert sent == ["token-1", "token-2"]
    record = workflow.record("OPS-1")
    assert (record["state"], record["actor"]) == ("APPROVED", DECIDE_KEY_NAME)
    assert not any("not applied" in c for c in workflow.jira.comments("OPS-1"))
