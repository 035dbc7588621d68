"""Task inputs and internal events, checked by hand: a bad one names its field, never the value."""

from __future__ import annotations

from typing import Any

import pytest

from jira_workflow.domain.errors import InvalidRequest
from jira_workflow.models.completion import completion_request
from jira_workflow.models.reader import UnreadableEvent
from jira_workflow.models.tasks import ApprovalInput, FailureInput, ReportInput, StoreInput

TOKEN = "AQCEAAAAKgAAAAMAAAAAAAAAAb-secret-task-token"
BASE = {"issueKey": "OPS-7", "executionName": "OPS-7-d1"}
STORE = {**BASE, "requestKey": "r.json", "enrichmentKey": "e.json", "riskScore": 40}


def problems_of(model: Any, event: Any) -> str:
    with pytest.raises(InvalidRequest) as raised:
        model.from_event(event)
    return str(raised.value)


def test_a_valid_input_becomes_typed_fields_and_extra_fields_are_ignored() -> None:
    task = StoreInput.from_event({**STORE, "addedByTheAsl": {"anything": 1}})

    assert task == StoreInput("OPS-7", "OPS-7-d1", "r.json", "e.json", 40)


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({**STORE, "riskScore": 101}, "riskScore: must be 0 to 100"),
        ({**STORE, "riskScore": True}, "riskScore: must be an integer"),
        ({**STORE, "riskScore": "40"}, "riskScore: must be an integer"),
        ({**STORE, "issueKey": "ops 7"}, "issueKey: must look like PROJ-123"),
        ({**STORE, "executionName": "x" * 81}, "executionName: must be 1 to 80 characters"),
        ({k: v for k, v in STORE.items() if k != "requestKey"}, "requestKey: field required"),
        ([STORE], "task input: must be a JSON object"),
    ],
)
def test_each_problem_names_its_field(event: Any, expected: str) -> None:
    assert problems_of(StoreInput, event) == f"task input: {expected}"


def test_the_task_token_never_appears_in_a_problem_or_a_repr() -> None:
    problems = problems_of(
        ApprovalInput, {**BASE, "issueKey": TOKEN, "taskToken": TOKEN, "tellJira": TOKEN}
    )
    task = ApprovalInput.from_event({**BASE, "taskToken": TOKEN})

    assert problems == (
        "task input: issueKey: must look like PROJ-123; tellJira: must be true or false"
    )
    assert TOKEN not in problems
    assert TOKEN not in repr(task)
    assert task.tell_jira is True


def test_outcome_is_one_of_the_three_and_defaults_fill_the_rest() -> None:
    assert problems_of(ReportInput, {**BASE, "outcome": "done"}) == (
        "task input: outcome: must be one of fulfilled, rejected, approval_timed_out"
    )
    assert ReportInput.from_event({**BASE, "outcome": "rejected"}).fulfilment_id == ""
    failure = FailureInput.from_event({**BASE, "error": None})
    assert (failure.error, failure.cause) == ("States.Runtime", "")


def test_a_completion_event_is_closed_and_names_each_bad_field() -> None:
    event = {"issueKey": "OPS-7", "executionName": "OPS-7-d1", "decidedAt": "2026-11-30T00:00Z"}

    assert completion_request({**event, "resend": True}).resend is True
    with pytest.raises(UnreadableEvent) as raised:
        completion_request({**event, "taskToken": TOKEN, "decidedAt": ""})
    assert str(raised.value) == (
        "taskToken: not a known field; decidedAt: must be at least 1 character(s)"
    )
