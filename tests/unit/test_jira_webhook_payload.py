"""Jira's webhook payload, checked by hand: every problem names its field's path, never the
value, and everything Jira sends beyond what the workflow reads is ignored."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jira_workflow.domain.errors import MalformedBody
from jira_workflow.models.jira_webhook import JiraWebhook, WebhookEvent
from tests.support.jira_payloads import issue_created, status_changed

SECRET = "s3cr3t-value-never-echoed"


def created() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(issue_created("OPS-12", timestamp=1_700_000_000_000))
    return document


def moved() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        status_changed("OPS-12", "To Do", "Approved", timestamp=1_700_000_000_000)
    )
    return document


def problems_of(document: Any) -> str:
    with pytest.raises(MalformedBody) as raised:
        JiraWebhook.from_document(document)
    return str(raised.value)


def test_a_status_change_reads_as_the_trigger_rule_needs_it() -> None:
    webhook = JiraWebhook.from_document(moved())
    change = webhook.issue_change()

    assert (change.event, change.issue_key, change.project_key) == (
        "jira:issue_updated",
        "OPS-12",
        "OPS",
    )
    assert (change.issue_type, change.status, change.status_id) == (
        "Service Request",
        "Approved",
        "3",
    )
    assert (change.new_status, change.new_status_id, change.change_id) == (
        "Approved",
        "10001",
        "10500",
    )
    assert change.actor == "Bob Approver"
    assert change.actor_account_id is not None and change.actor_account_id.startswith("557058:")
    assert webhook.timestamp == 1_700_000_000_000
    assert webhook.new_status() == "Approved"


def test_optional_parts_may_be_missing_or_null() -> None:
    document = created()
    del document["user"]
    document["issue"]["fields"]["status"] = None
    document["changelog"] = None

    change = JiraWebhook.from_document(document).issue_change()

    assert (change.actor, change.status, change.new_status, change.change_id) == (
        "jira",
        None,
        None,
        "",
    )


def test_a_numeric_changelog_id_and_items_without_field_are_accepted() -> None:
    document = moved()
    document["changelog"]["id"] = 10500
    document["changelog"]["items"].insert(0, {"toString": "x"})

    assert JiraWebhook.from_document(document).issue_change().change_id == "10500"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.pop("timestamp"), "timestamp: field required"),
        (lambda d: d.update(timestamp=-1), "timestamp: must be 0 to 253402300799999"),
        (lambda d: d.update(timestamp=10**20), "timestamp: must be 0 to 253402300799999"),
        (lambda d: d.update(timestamp=True), "timestamp: must be an integer"),
        (lambda d: d.update(timestamp=SECRET), "timestamp: must be an integer"),
        (lambda d: d.update(webhookEvent=""), "webhookEvent: must be at least 1 character(s)"),
        (lambda d: d.pop("issue"), "issue: field required"),
        (lambda d: d.update(issue=[SECRET]), "issue: must be a JSON object"),
        (lambda d: d["issue"].update(key=SECRET), "issue.key: must look like PROJ-123"),
        (lambda d: d["issue"].update(key="OPS-1\n"), "issue.key: must look like PROJ-123"),
        (lambda d: d["issue"].update(key=12), "issue.key: must be a string"),
        (lambda d: d["issue"].pop("fields"), "issue.fields: field required"),
        (
            lambda d: d["issue"]["fields"]["project"].pop("key"),
            "issue.fields.project.key: field required",
        ),
        (
            lambda d: d["issue"]["fields"].update(issuetype={"name": ""}),
            "issue.fields.issuetype.name: must be at least 1 character(s)",
        ),
        (
            lambda d: d["issue"]["fields"]["status"].update(id=3),
            "issue.fields.status.id: must be a string",
        ),
        (
            lambda d: d["issue"]["fields"].update(summary=[SECRET]),
            "issue.fields.summary: must be a string",
        ),
        (lambda d: d.update(user=SECRET), "user: must be a JSON object"),
        (lambda d: d["user"].update(accountId=7), "user.accountId: must be a string"),
        (lambda d: d.update(changelog={"items": SECRET}), "changelog.items: must be a list"),
        (
            lambda d: d.update(changelog={"id": [SECRET]}),
            "changelog.id: must be a string or an integer",
        ),
        (
            lambda d: d.update(changelog={"items": [{"field": None}]}),
            "changelog.items.0.field: field required",
        ),
        (
            lambda d: d.update(changelog={"items": [{}, {"toString": 5}]}),
            "changelog.items.1.toString: must be a string",
        ),
        (
            lambda d: d.update(changelog={"items": [SECRET]}),
            "changelog.items.0: must be a JSON object",
        ),
    ],
)
def test_each_problem_names_its_field_and_never_the_value(change: Any, expected: str) -> None:
    document = created()
    change(document)

    problems = problems_of(document)

    assert problems == expected
    assert SECRET not in problems


def test_several_problems_are_reported_together_and_at_most_five() -> None:
    problems = problems_of({"webhookEvent": 1, "issue": {"key": "x", "fields": {}}, "user": 2})

    assert problems.split("; ") == [
        "webhookEvent: must be a string",
        "issue.key: must look like PROJ-123",
        "issue.fields.project: field required",
        "issue.fields.issuetype: field required",
        "user: must be a JSON object",
    ]


def test_a_body_that_is_no_object_is_refused() -> None:
    assert problems_of([SECRET]) == "body: must be a JSON object"


def test_the_event_name_is_read_alone_so_other_events_need_nothing_else() -> None:
    assert WebhookEvent.from_document({"webhookEvent": "comment_created"}).webhook_event == (
        "comment_created"
    )
    with pytest.raises(MalformedBody, match=r"^webhookEvent: field required$"):
        WebhookEvent.from_document({"issue": {}})
