"""Request rules (validation, auto-approval), the reasons Jira is told, and task payloads."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jira_workflow.domain.errors import InvalidRequest
from jira_workflow.domain.messages import MAX_REASON_LENGTH, failed, short_reason
from jira_workflow.domain.requests import (
    MAX_DESCRIPTION_LENGTH,
    MAX_SUMMARY_LENGTH,
    JiraRequest,
    RequiredFields,
    is_auto_approved,
    validation_problems,
)
from jira_workflow.services.steps import failure_reason, request_from_payload
from tests.support.jira_payloads import issue_fields

VALID = JiraRequest(
    issue_key="OPS-1",
    project_key="OPS",
    issue_type="Service Request",
    summary="Grant read access",
    description="Finance needs read access for the audit.",
)
PROJECTS = ("OPS", "IT")
TYPES = ("Service Request", "Task")
DESCRIBED = RequiredFields.parse("summary,description")

# ---- validation_problems ---------------------------------------------------------------


def test_valid_request_has_no_problems() -> None:
    assert validation_problems(VALID, PROJECTS, TYPES, DESCRIBED) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"summary": ""}, "no summary"),
        ({"summary": "   \n\t"}, "no summary"),
        ({"summary": "x" * (MAX_SUMMARY_LENGTH + 1)}, f"longer than {MAX_SUMMARY_LENGTH}"),
        ({"description": ""}, "no description"),
        ({"description": " \n "}, "no description"),
        (
            {"description": "x" * (MAX_DESCRIPTION_LENGTH + 1)},
            f"longer than {MAX_DESCRIPTION_LENGTH}",
        ),
        ({"project_key": "HR"}, "project HR"),
        ({"issue_type": "Bug"}, "issue type 'Bug'"),
    ],
)
def test_each_invalid_field_is_named(change: dict[str, Any], problem: str) -> None:
    problems = validation_problems(replace(VALID, **change), PROJECTS, TYPES, DESCRIBED)

    assert len(problems) == 1
    assert problem in problems[0]


def test_lengths_at_the_limit_are_valid() -> None:
    request = replace(
        VALID, summary="s" * MAX_SUMMARY_LENGTH, description="d" * MAX_DESCRIPTION_LENGTH
    )
    assert validation_problems(request, PROJECTS, TYPES, DESCRIBED) == []


def test_every_problem_is_reported_at_once() -> None:
    request = replace(VALID, summary="", description="", project_key="HR", issue_type="Bug")

    assert len(validation_problems(request, PROJECTS, TYPES, DESCRIBED)) == 4


def test_by_default_a_request_without_description_is_valid() -> None:
    assert validation_problems(replace(VALID, description=""), PROJECTS, TYPES) == []


def test_required_fields_apply_per_project_and_issue_type() -> None:
    rules = RequiredFields.parse("OPS/Service Request=summary,description;*=summary")
    bare = replace(VALID, description="")

    problems = validation_problems(bare, PROJECTS, TYPES, rules)
    assert problems == ["the issue has no description, which OPS/Service Request requests need"]
    assert validation_problems(replace(bare, issue_type="Task"), PROJECTS, TYPES, rules) == []
    assert validation_problems(replace(bare, project_key="IT"), PROJECTS, TYPES, rules) == []


@pytest.mark.parametrize(
    ("text", "project", "issue_type", "required"),
    [
        ("summary", "OPS", "Task", ("summary",)),
        ("OPS=labels;*/Task=priority;*=summary", "OPS", "Task", ("labels",)),
        ("OPS=labels;*/Task=priority;*=summary", "IT", "Task", ("priority",)),
        ("OPS=labels;*/Task=priority;*=summary", "IT", "Bug", ("summary",)),
        ("OPS/Task=Summary , Description", "OPS", "Task", ("summary", "description")),
        ("OPS/Task=description", "IT", "Task", ()),
        ("*=", "OPS", "Task", ()),
    ],
)
def test_the_most_specific_required_fields_rule_wins(
    text: str, project: str, issue_type: str, required: tuple[str, ...]
) -> None:
    assert RequiredFields.parse(text).for_request(project, issue_type) == required


@pytest.mark.parametrize("text", ["", ";", "=summary", "*=colour", "OPS=summary;OPS=labels"])
def test_unreadable_required_fields_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="required-fields"):
        RequiredFields.parse(text)


def test_required_fields_print_as_they_parse() -> None:
    text = "OPS/Service Request=summary,description;*/Task=labels;*=summary"

    assert str(RequiredFields.parse(text)) == text
    assert RequiredFields.parse(str(RequiredFields())) == RequiredFields()


def test_empty_allow_lists_accept_any_project_and_type() -> None:
    request = replace(VALID, project_key="HR", issue_type="Bug")

    assert validation_problems(request, (), ()) == []


# ---- is_auto_approved ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("risk", "max_risk", "auto"),
    [
        (0, -1, False),  # -1 disables, even for zero risk
        (50, -1, False),
        (0, 0, True),  # 0..max inclusive
        (1, 0, False),
        (29, 30, True),
        (30, 30, True),
        (31, 30, False),
        (100, 100, True),
        (-1, 30, False),  # out of range never auto-approves
        (-5, 100, False),
        (101, 100, False),
    ],
)
def test_auto_approval_boundaries(risk: int, max_risk: int, auto: bool) -> None:
    assert is_auto_approved(risk, max_risk) is auto


@given(risk=st.integers(-1000, 1000), max_risk=st.integers(-1, 100))
def test_auto_approval_is_exactly_zero_to_max_inclusive(risk: int, max_risk: int) -> None:
    assert is_auto_approved(risk, max_risk) == (max_risk >= 0 and 0 <= risk <= max_risk)


@given(risk=st.integers())
def test_minus_one_disables_auto_approval(risk: int) -> None:
    assert not is_auto_approved(risk, -1)


# ---- short_reason ----------------------------------------------------------------------

TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/var/task/jira_workflow/services/steps.py", line 70, in validate\n'
    "    raise InvalidRequest(...)\n"
    "jira_workflow.domain.errors.InvalidRequest: the issue has no summary"
)


@given(reason=st.text(max_size=2000))
def test_short_reason_is_one_bounded_nonempty_line(reason: str) -> None:
    short = short_reason(reason)

    assert short
    assert len(short) <= MAX_REASON_LENGTH
    assert "\n" not in short
    assert "\r" not in short


def test_short_reason_keeps_a_short_first_line_unchanged() -> None:
    assert short_reason("the issue has no summary\nmore detail") == "the issue has no summary"


def test_short_reason_truncates_with_an_ellipsis() -> None:
    short = short_reason("x" * 1000)

    assert len(short) == MAX_REASON_LENGTH
    assert short.endswith("…")


@pytest.mark.parametrize("blank", ["", "   ", "\n\n"])
def test_blank_reason_becomes_unknown_error(blank: str) -> None:
    assert short_reason(blank) == "unknown error"


def test_traceback_never_reaches_jira() -> None:
    for reason in (TRACEBACK, "boom\n" + TRACEBACK):
        short = short_reason(reason)
        assert 'File "' not in short
        assert "line 70" not in short
    assert 'File "' not in failed(TRACEBACK)


# ---- failure_reason (the Cause Step Functions hands RecordFailure) ---------------------


def lambda_cause(message: str, error_type: str = "InvalidRequest") -> str:
    return json.dumps(
        {
            "errorMessage": message,
            "errorType": error_type,
            "requestId": "5f2c7a4e-0000-4000-8000-000000000000",
            "stackTrace": [
                '  File "/var/task/jira_workflow/handlers/task.py", line 26, in handler\n',
                '  File "/var/task/jira_workflow/services/steps.py", line 70, in validate\n',
            ],
        }
    )


def test_failure_reason_extracts_lambda_error_message() -> None:
    assert failure_reason("InvalidRequest", lambda_cause("the issue has no summary")) == (
        "the issue has no summary"
    )


def test_failure_reason_drops_the_stack_trace() -> None:
    reason = failure_reason("InvalidRequest", lambda_cause("bad request"))

    assert "stackTrace" not in reason
    assert "task.py" not in reason
    assert "requestId" not in reason


def test_failure_reason_keeps_only_the_first_line_of_a_multiline_message() -> None:
    assert failure_reason("X", lambda_cause("first line\nsecond line")) == "first line"


def test_failure_reason_bounds_a_long_message() -> None:
    assert len(failure_reason("X", lambda_cause("y" * 5000))) == MAX_REASON_LENGTH


def test_failure_reason_without_error_message_uses_the_error_name() -> None:
    cause = json.dumps({"errorType": "Sandbox.Timedout", "stackTrace": ["x"]})

    assert failure_reason("Sandbox.Timedout", cause) == "Sandbox.Timedout"


def test_failure_reason_passes_plain_text_cause_through() -> None:
    cause = "Task timed out after 30.00 seconds"

    assert failure_reason("States.Timeout", cause) == cause


def test_failure_reason_with_empty_cause_uses_the_error_name() -> None:
    assert failure_reason("States.Runtime", "") == "States.Runtime"


@pytest.mark.parametrize(
    "cause", ["[1, 2, 3]", '"just a string"', "42", "null", "{not json", "\x00\xff garbage"]
)
def test_failure_reason_survives_garbage(cause: str) -> None:
    reason = failure_reason("States.Runtime", cause)

    assert reason
    assert "\n" not in reason
    assert len(reason) <= MAX_REASON_LENGTH


@given(error=st.text(max_size=100), cause=st.text(max_size=3000))
def test_failure_reason_is_always_one_bounded_line(error: str, cause: str) -> None:
    reason = failure_reason(error, cause)

    assert reason
    assert "\n" not in reason
    assert len(reason) <= MAX_REASON_LENGTH


@given(
    document=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=50),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=12), children, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_failure_reason_handles_any_json_cause(document: Any) -> None:
    reason = failure_reason("States.Runtime", json.dumps(document))

    assert reason
    assert "\n" not in reason
    assert len(reason) <= MAX_REASON_LENGTH


# ---- request_from_payload --------------------------------------------------------------


def payload(**fields: Any) -> dict[str, Any]:
    return {"webhookEvent": "jira:issue_created", "issue": issue_fields("OPS-1", **fields)}


def test_payload_with_adf_description_gives_plain_text() -> None:
    request = request_from_payload(payload(description="Finance needs read access."))

    assert request.issue_key == "OPS-1"
    assert request.project_key == "OPS"
    assert request.issue_type == "Service Request"
    assert request.summary == "Grant read access to the billing bucket"
    assert request.description == "Finance needs read access."
    assert request.reporter == "Alice Reporter"
    assert request.priority == "Medium"


def test_payload_with_multi_paragraph_adf_keeps_the_lines() -> None:
    document = payload()
    document["issue"]["fields"]["description"] = {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "line one"}]},
            {"type": "paragraph", "content": [{"type": "text", "text": "line two"}]},
        ],
    }

    assert request_from_payload(document).description == "line one\nline two"


def test_payload_with_plain_text_description_keeps_it() -> None:
    document = payload()
    document["issue"]["fields"]["description"] = "plain v2 text"

    assert request_from_payload(document).description == "plain v2 text"


def test_payload_with_null_fields_gives_empty_strings() -> None:
    document = payload(description=None, labels=("risk-5", "urgent"))
    fields = document["issue"]["fields"]
    fields.update(summary=None, reporter=None, priority=None)

    request = request_from_payload(document)

    assert (request.summary, request.description, request.reporter, request.priority) == (
        "",
        "",
        "",
        "",
    )
    assert request.labels == ("risk-5", "urgent")


@pytest.mark.parametrize(
    ("path", "named"),
    [
        (("issue",), "issue"),
        (("issue", "key"), "key"),
        (("issue", "fields"), "fields"),
        (("issue", "fields", "project"), "project"),
        (("issue", "fields", "project", "key"), "key"),
        (("issue", "fields", "issuetype"), "issuetype"),
        (("issue", "fields", "issuetype", "name"), "name"),
    ],
)
def test_payload_missing_a_required_field_names_it(path: tuple[str, ...], named: str) -> None:
    document = payload()
    node = document
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]

    with pytest.raises(InvalidRequest, match=f"misses '{named}'"):
        request_from_payload(document)


@pytest.mark.parametrize("document", [None, [], "text", 42, {"issue": None}, {"issue": []}])
def test_payload_of_the_wrong_shape_is_an_invalid_request(document: Any) -> None:
    with pytest.raises(InvalidRequest):
        request_from_payload(document)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (45, "45 seconds"),
        (60, "1 minute"),
        (90, "1.5 minutes"),
        (3600, "1 hour"),
        (7200, "2 hours"),
        (5400, "90 minutes"),
        (86400, "1 day"),
        (172800, "2 days"),
    ],
)
def test_approval_wait_is_said_in_the_largest_whole_unit(seconds: int, text: str) -> None:
    from jira_workflow.domain.messages import duration

    assert duration(seconds) == text


# ---- AWS internals never reach people -------------------------------------------------

ACCESS_DENIED = (
    "An error occurred (AccessDeniedException) when calling the PutItem operation: "
    "User: arn:aws:sts::123456789012:assumed-role/jira-workflow-prod-validate/fn is not "
    "authorized to perform: dynamodb:PutItem on resource: "
    "arn:aws:dynamodb:eu-west-1:123456789012:table/jira-workflow-prod-requests"
)


def test_an_aws_error_is_named_by_its_type_not_its_text() -> None:
    reason = failure_reason("ClientError", lambda_cause(ACCESS_DENIED, error_type="ClientError"))

    assert reason == "an internal step failed (ClientError); the operators have the details"
    assert failed(reason).startswith("The request could not be completed: an internal step")


def test_no_arn_or_account_id_survives_in_any_reason() -> None:
    for reason in (
        failure_reason("States.Runtime", ACCESS_DENIED),
        failure_reason("InvalidRequest", lambda_cause(ACCESS_DENIED)),
        short_reason(ACCESS_DENIED),
    ):
        assert "123456789012" not in reason
        assert "arn:aws" not in reason
        assert "assumed-role" not in reason


def test_our_own_error_messages_are_kept() -> None:
    cause = lambda_cause("the issue has no summary", error_type="InvalidRequest")
    assert failure_reason("InvalidRequest", cause) == "the issue has no summary"
