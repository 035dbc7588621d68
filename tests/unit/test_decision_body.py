"""The callback's body, checked by hand: every problem names its field, never the value."""

from __future__ import annotations

from typing import Any

import pytest

from jira_workflow.domain.errors import MalformedBody
from jira_workflow.domain.requests import Decision
from jira_workflow.models.api import DecisionBody

VALID = {"issueKey": "OPS-12", "decision": "approved", "actor": "Bob Approver"}
SECRET = "s3cr3t-value-never-echoed"


def problems_of(document: Any) -> str:
    with pytest.raises(MalformedBody) as raised:
        DecisionBody.from_document(document)
    return str(raised.value)


def test_a_valid_body_becomes_a_typed_decision() -> None:
    body = DecisionBody.from_document({**VALID, "comment": "ok"})

    assert body == DecisionBody("OPS-12", Decision.APPROVED, "Bob Approver", "ok")
    assert DecisionBody.from_document(VALID).comment == ""


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({k: v for k, v in VALID.items() if k != "issueKey"}, "issueKey: field required"),
        ({**VALID, "issueKey": SECRET}, "issueKey: must look like PROJ-123"),
        ({**VALID, "issueKey": 12}, "issueKey: must be a string"),
        ({**VALID, "decision": SECRET}, "decision: must be one of approved, rejected"),
        ({**VALID, "actor": "x" * 257}, "actor: must be 0 to 256 characters"),
        ({**VALID, "comment": "x" * 4001}, "comment: must be 0 to 4000 characters"),
        ({**VALID, "comment": 3}, "comment: must be a string"),
        ({**VALID, "extra": SECRET}, "extra: not a known field"),
        ([VALID], "body: must be a JSON object"),
    ],
)
def test_each_problem_names_its_field_and_never_the_value(document: Any, expected: str) -> None:
    problems = problems_of(document)

    assert problems == expected
    assert SECRET not in problems


def test_several_problems_are_reported_together() -> None:
    problems = problems_of({"decision": "maybe", "actor": 3})

    assert problems.split("; ") == [
        "issueKey: field required",
        "decision: must be one of approved, rejected",
        "actor: must be a string",
    ]


def test_an_unknown_fields_name_is_cut_short() -> None:
    problems = problems_of({**VALID, "y" * 500: 1})

    assert problems == "y" * 64 + ": not a known field"


def test_actor_is_an_optional_note() -> None:
    # The recorded actor is the API key's name; the body's actor is free text, if any.
    body = DecisionBody.from_document({"issueKey": "OPS-12", "decision": "rejected"})

    assert (body.actor, body.comment) == ("", "")
    # A null is an absent note, not a problem.
    assert DecisionBody.from_document({**VALID, "comment": None}).comment == ""
