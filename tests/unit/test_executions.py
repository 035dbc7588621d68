"""Step Functions adapter: an answer is a named refusal; no answer is CompletionUnconfirmed."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from jira_workflow.adapters.executions import Executions
from jira_workflow.domain.errors import (
    ApprovalExpired,
    CompletionUnconfirmed,
    StartThrottled,
    TaskCompletionFailed,
    WorkflowError,
)

TOKEN = "AQCEAAAAKgAAAAMAAAAAAAAAAe2secret-task-token"
MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:workflow"
ENDPOINT = "https://states.eu-west-1.amazonaws.com/"


class FailingSfn:
    """Raises the given error from SendTaskSuccess, as botocore would."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def send_task_success(self, **_: Any) -> dict[str, Any]:
        raise self.error


def refused(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": f"bad {TOKEN}"}}, "SendTaskSuccess")


def complete_with(error: Exception) -> WorkflowError:
    executions = Executions(FailingSfn(error), MACHINE)  # type: ignore[arg-type]
    with pytest.raises(WorkflowError) as raised:
        executions.complete(TOKEN, {"decision": "approved"})
    return raised.value


@pytest.mark.parametrize(
    "error",
    [
        ReadTimeoutError(endpoint_url=ENDPOINT),
        ConnectTimeoutError(endpoint_url=ENDPOINT),
        EndpointConnectionError(endpoint_url=ENDPOINT),
        ConnectionClosedError(endpoint_url=ENDPOINT),
    ],
    ids=lambda e: type(e).__name__,
)
def test_no_answer_is_completion_unconfirmed_naming_only_the_error_type(error: Exception) -> None:
    raised = complete_with(error)

    assert isinstance(raised, CompletionUnconfirmed)
    assert type(error).__name__ in str(raised)
    assert raised.__cause__ is None and raised.__suppress_context__


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("TaskTimedOut", ApprovalExpired),
        ("InvalidToken", ApprovalExpired),
        ("TaskDoesNotExist", ApprovalExpired),
        ("ThrottlingException", StartThrottled),
        ("InternalFailure", TaskCompletionFailed),
    ],
)
def test_an_answer_is_a_named_refusal_without_the_token(
    code: str, expected: type[WorkflowError]
) -> None:
    raised = complete_with(refused(code))

    assert type(raised) is expected
    assert code in str(raised)
    assert TOKEN not in str(raised)


class RecordingSfn:
    def __init__(self) -> None:
        self.stopped: list[dict[str, Any]] = []

    def stop_execution(self, **kwargs: Any) -> dict[str, Any]:
        self.stopped.append(kwargs)
        return {}


def test_stop_bounds_the_cause_to_what_step_functions_accepts() -> None:
    sfn = RecordingSfn()
    executions = Executions(sfn, MACHINE)  # type: ignore[arg-type]

    executions.stop(f"{MACHINE}:x", "OperatorCancelled", "c" * 40000)

    assert sfn.stopped == [
        {"executionArn": f"{MACHINE}:x", "error": "OperatorCancelled", "cause": "c" * 32768}
    ]
