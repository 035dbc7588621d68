"""Which webhook deliveries start a request, decide an approval, or are ignored.

Deliveries are parsed and converted as the intake does (JiraWebhook -> IssueChange), and the
rule is read from environment-style settings, so the boundary's conversion is covered too.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from jira_workflow.domain.requests import Decision
from jira_workflow.domain.trigger import (
    ISSUE_UPDATED,
    DecideApproval,
    Ignore,
    IssueChange,
    StartRequest,
    TriggerRule,
    classify,
)
from jira_workflow.models.jira_webhook import JiraWebhook
from jira_workflow.models.settings import TriggerSettings
from local_cloud.fake_jira.jql import JqlFilter
from local_cloud.fake_jira.model import FakeIssue, FakeUser
from tests.support.jira_payloads import issue_created, status_changed

RULE = TriggerSettings.from_env(
    {
        "TRIGGER_PROJECT_KEYS": "OPS,IT",
        "TRIGGER_ISSUE_TYPES": "Service Request,Task",
        "TRIGGER_STATUS": "Submitted",
        "APPROVE_STATUS": "Approved",
        "REJECT_STATUS": "Rejected",
    }
).rule()
ANY_ISSUE = TriggerSettings.from_env(
    {"TRIGGER_PROJECT_KEYS": "", "TRIGGER_ISSUE_TYPES": " , "}
).rule()

_DELETE = object()  # marks a key to remove from the payload


def webhook(raw: bytes, **changes: Any) -> IssueChange:
    """The payload with `a__b=value` set (or removed with _DELETE), parsed as the handler does."""
    document = json.loads(raw)
    for path, value in changes.items():
        *parents, last = path.split("__")
        node = document
        for part in parents:
            node = node[part]
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value
    return JiraWebhook.from_document(document).issue_change()


# ---- created --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "rule", "expected"),
    [
        pytest.param(issue_created("OPS-1"), RULE, StartRequest("OPS-1"), id="configured"),
        pytest.param(
            issue_created("IT-7", issue_type="Task"), RULE, StartRequest("IT-7"), id="second"
        ),
        pytest.param(
            issue_created("HR-3"), RULE, Ignore("project HR is not configured"), id="project"
        ),
        pytest.param(
            issue_created("OPS-2", issue_type="Bug"),
            RULE,
            Ignore("issue type Bug is not configured"),
            id="type",
        ),
        pytest.param(
            issue_created("HR-3", issue_type="Bug"), ANY_ISSUE, StartRequest("HR-3"), id="any"
        ),
    ],
)
def test_created_issue_starts_only_in_configured_project_and_type(
    raw: bytes, rule: TriggerRule, expected: object
) -> None:
    assert classify(webhook(raw), rule) == expected


@pytest.mark.parametrize("status", ["To Do", "Awaiting Approval", "Approved", "In Progress"])
def test_issue_created_in_another_status_starts_nothing(status: str) -> None:
    # The reconciler only finds issues in the trigger status: a created webhook that
    # started these could never be recovered when lost, so neither starts them.
    action = classify(webhook(issue_created("OPS-1", status=status)), RULE)

    assert action == Ignore(f"issue created in status {status}, not Submitted")


@pytest.mark.parametrize("status", ["Submitted", "submitted", "SUBMITTED"])
def test_issue_created_in_the_trigger_status_starts_a_request(status: str) -> None:
    assert classify(webhook(issue_created("OPS-1", status=status)), RULE) == StartRequest("OPS-1")


def test_issue_created_without_a_status_starts_nothing() -> None:
    raw = issue_created("OPS-1")
    action = classify(webhook(raw, issue__fields__status=_DELETE), RULE)

    assert action == Ignore("issue created in status None, not Submitted")


def test_project_and_type_match_is_exact() -> None:
    # Project keys and issue types are identifiers, not statuses: no case folding.
    assert isinstance(classify(webhook(issue_created("OPS-1", issue_type="task")), RULE), Ignore)


@pytest.mark.parametrize(
    "event", ["jira:issue_deleted", "comment_created", "jira:worklog_updated", "JIRA:ISSUE_CREATED"]
)
def test_unknown_event_is_ignored_with_its_name(event: str) -> None:
    action = classify(webhook(issue_created("OPS-1"), webhookEvent=event), RULE)

    assert action == Ignore(f"event {event} is not handled")


# ---- updated: status changes ----------------------------------------------------------


@pytest.mark.parametrize("status", ["Submitted", "submitted", "SUBMITTED"])
def test_move_into_trigger_status_starts_a_request(status: str) -> None:
    action = classify(webhook(status_changed("OPS-1", "To Do", status)), RULE)

    assert action == StartRequest("OPS-1")


@pytest.mark.parametrize(
    ("status", "decision"),
    [
        ("Approved", Decision.APPROVED),
        ("approved", Decision.APPROVED),
        ("APPROVED", Decision.APPROVED),
        ("Rejected", Decision.REJECTED),
        ("rEjEcTeD", Decision.REJECTED),
    ],
)
def test_move_into_decision_status_decides_the_approval(status: str, decision: Decision) -> None:
    action = classify(webhook(status_changed("OPS-1", "Awaiting Approval", status)), RULE)

    assert isinstance(action, DecideApproval)
    assert action.decision.issue_key == "OPS-1"
    assert action.decision.decision is decision
    assert action.decision.actor == "Bob Approver"
    assert action.decision.source == "webhook"
    assert status in action.decision.comment


@pytest.mark.parametrize(
    ("user", "actor"),
    [
        pytest.param({"displayName": "Bob", "accountId": "557058:bob"}, "Bob", id="display-name"),
        pytest.param({"displayName": "", "accountId": "557058:bob"}, "557058:bob", id="empty-name"),
        pytest.param({"accountId": "557058:bob"}, "557058:bob", id="account-id"),
        pytest.param({}, "jira", id="empty-user"),
        pytest.param({"displayName": None, "accountId": None}, "jira", id="nulls"),
        pytest.param(_DELETE, "jira", id="no-user"),
    ],
)
def test_decision_actor_falls_back_from_display_name_to_account_id_to_jira(
    user: object, actor: str
) -> None:
    action = classify(webhook(status_changed("OPS-1", "Awaiting", "Approved"), user=user), RULE)

    assert isinstance(action, DecideApproval)
    assert action.decision.actor == actor


def test_status_change_to_other_status_is_ignored_with_the_status() -> None:
    action = classify(webhook(status_changed("OPS-1", "To Do", "In Progress")), RULE)

    assert action == Ignore("status change to In Progress is not a trigger")


def test_update_without_changelog_is_ignored() -> None:
    action = classify(
        webhook(status_changed("OPS-1", "To Do", "Submitted"), changelog=_DELETE), RULE
    )

    assert action == Ignore("no status change")


def test_update_changing_only_other_fields_is_ignored() -> None:
    items = [
        {"field": "summary", "fromString": "a", "toString": "Submitted"},
        {"field": "assignee", "fromString": None, "toString": "Approved"},
    ]
    action = classify(
        webhook(status_changed("OPS-1", "To Do", "Submitted"), changelog__items=items), RULE
    )

    assert action == Ignore("no status change")


def test_status_item_among_other_changes_is_found() -> None:
    items = [
        {"field": "summary", "fromString": "a", "toString": "b"},
        {"field": "status", "fromString": "To Do", "toString": "Submitted"},
    ]
    action = classify(
        webhook(status_changed("OPS-1", "To Do", "Submitted"), changelog__items=items), RULE
    )

    assert action == StartRequest("OPS-1")


def test_status_change_named_with_a_capital_is_found_by_its_field_id() -> None:
    # Jira Cloud sends the display name, which is "Status" on some sites.
    items = [
        {
            "field": "Status",
            "fieldtype": "jira",
            "fieldId": "status",
            "from": "10000",
            "fromString": "To Do",
            "to": "10001",
            "toString": "Submitted",
        }
    ]
    action = classify(
        webhook(status_changed("OPS-1", "To Do", "Submitted"), changelog__items=items), RULE
    )

    assert action == StartRequest("OPS-1")


def test_a_custom_field_called_status_is_not_a_status_change() -> None:
    items = [
        {
            "field": "status",
            "fieldtype": "custom",
            "fieldId": "customfield_10050",
            "fromString": "green",
            "toString": "Submitted",
        }
    ]
    action = classify(
        webhook(status_changed("OPS-1", "To Do", "Submitted"), changelog__items=items), RULE
    )

    assert action == Ignore("no status change")


def test_status_change_without_field_id_is_matched_by_name_in_any_case() -> None:
    items = [{"field": "STATUS", "fromString": "To Do", "toString": "Submitted"}]
    action = classify(
        webhook(status_changed("OPS-1", "To Do", "Submitted"), changelog__items=items), RULE
    )

    assert action == StartRequest("OPS-1")


def test_status_change_outside_configured_project_is_ignored() -> None:
    action = classify(webhook(status_changed("HR-1", "Awaiting", "Approved")), RULE)

    assert action == Ignore("project HR is not configured")


def test_status_change_of_unconfigured_type_is_ignored() -> None:
    action = classify(
        webhook(status_changed("OPS-1", "To Do", "Submitted", issue_type="Bug")), RULE
    )

    assert action == Ignore("issue type Bug is not configured")


def test_empty_lists_accept_any_project_and_type_for_status_changes() -> None:
    raw = status_changed("HR-9", "Awaiting", "Rejected", issue_type="Bug")

    action = classify(webhook(raw), ANY_ISSUE)

    assert isinstance(action, DecideApproval)
    assert action.decision.decision is Decision.REJECTED


def test_empty_configured_status_never_matches() -> None:
    rule = TriggerSettings.from_env({"TRIGGER_STATUS": "", "APPROVE_STATUS": ""}).rule()
    items = [{"field": "status", "fromString": "To Do", "toString": ""}]

    assert classify(webhook(status_changed("OPS-1", "To Do", "Approved")), rule) == Ignore(
        "status change to Approved is not a trigger"
    )
    assert classify(
        webhook(status_changed("OPS-1", "To Do", "x"), changelog__items=items), rule
    ) == Ignore("no status change")


# ---- status ids --------------------------------------------------------------------

WITH_IDS = TriggerSettings.from_env(
    {
        "TRIGGER_STATUS": "Submitted",
        "TRIGGER_STATUS_ID": "10001",
        "APPROVE_STATUS": "Approved",
        "APPROVE_STATUS_ID": "10003",
        "REJECT_STATUS_ID": "10004",
    }
).rule()


def status_item(to_name: str, to_id: str | None) -> list[dict[str, Any]]:
    item = {"field": "status", "fieldtype": "jira", "fieldId": "status", "from": "10000"}
    item |= {"fromString": "To Do", "toString": to_name}
    return [item | ({"to": to_id} if to_id is not None else {})]


def moved(to_name: str, to_id: str | None) -> IssueChange:
    raw = status_changed("OPS-1", "To Do", to_name)
    return webhook(raw, changelog__items=status_item(to_name, to_id))


def test_configured_status_ids_decide_where_jira_sends_ids() -> None:
    # Renamed statuses keep their ids: the configured id still matches.
    assert classify(moved("Ready for work", "10001"), WITH_IDS) == StartRequest("OPS-1")
    approved = classify(moved("Approved by CAB", "10003"), WITH_IDS)
    assert isinstance(approved, DecideApproval)
    assert approved.decision.decision is Decision.APPROVED
    rejected = classify(moved("Declined", "10004"), WITH_IDS)
    assert isinstance(rejected, DecideApproval)
    assert rejected.decision.decision is Decision.REJECTED


def test_a_status_of_the_same_name_with_another_id_is_not_the_configured_one() -> None:
    assert classify(moved("Submitted", "20001"), WITH_IDS) == Ignore(
        "status change to Submitted is not a trigger"
    )


def test_names_decide_where_jira_sends_no_id_or_none_is_configured() -> None:
    assert classify(moved("Submitted", None), WITH_IDS) == StartRequest("OPS-1")
    assert classify(moved("submitted", "20001"), RULE) == StartRequest("OPS-1")


def test_created_issue_is_matched_by_its_status_id() -> None:
    created = webhook(issue_created("OPS-1"), issue__fields__status={"name": "New", "id": "10001"})
    assert classify(created, WITH_IDS) == StartRequest("OPS-1")
    other = webhook(issue_created("OPS-1"), issue__fields__status={"name": "Submitted", "id": "3"})
    assert classify(other, WITH_IDS) == Ignore(
        "issue created in status Submitted (id 3), not Submitted (id 10001)"
    )


def test_the_search_asks_for_the_trigger_status_by_id_when_one_is_configured() -> None:
    assert "status = 10001 AND" in WITH_IDS.search_jql(1)
    assert 'status = "Submitted" AND' in RULE.search_jql(1)


# ---- the rule as the environment states it ------------------------------------------


def test_settings_convert_to_the_domain_rule_with_the_domain_defaults() -> None:
    assert TriggerSettings.from_env({}).rule() == TriggerRule()
    assert TriggerRule(project_keys=("OPS", "IT"), issue_types=("Service Request", "Task")) == RULE


def test_the_rule_applies_to_plain_issue_changes_without_a_payload() -> None:
    change = IssueChange(ISSUE_UPDATED, "OPS-1", "OPS", "Task", new_status="rejected", actor="Al")

    action = classify(change, TriggerRule(project_keys=("OPS",)))

    assert isinstance(action, DecideApproval)
    assert (action.decision.decision, action.decision.actor) == (Decision.REJECTED, "Al")


# ---- one rule: the reconciler's search selects what the webhook would start -----------

_WHO = FakeUser("557058:alice", "Alice Reporter")
_SAMPLES = [
    (project, issue_type, status)
    for project in ("OPS", "IT", "HR")
    for issue_type in ("Service Request", "Task", "Bug")
    for status in ("Submitted", "To Do", "Approved")
]


def _fake_issue(number: int, project: str, issue_type: str, status: str) -> FakeIssue:
    when = datetime(2026, 11, 29, 10, number % 60, tzinfo=UTC)
    return FakeIssue(
        id=str(10000 + number),
        key=f"{project}-{number}",
        project_key=project,
        summary="s",
        description=None,
        issue_type=issue_type,
        status=status,
        labels=[],
        reporter=_WHO,
        priority="Medium",
        created=when,
        updated=when,
    )


@pytest.mark.parametrize("rule", [RULE, ANY_ISSUE], ids=["configured", "any"])
def test_the_search_finds_exactly_the_issues_a_webhook_would_start(rule: TriggerRule) -> None:
    issues = [_fake_issue(n, *sample) for n, sample in enumerate(_SAMPLES, start=1)]

    found = {i.key for i in JqlFilter.parse(rule.search_jql(24 * 365 * 10)).select(issues)}

    started_by_webhook = {
        i.key
        for i in issues
        if classify(
            IssueChange("jira:issue_created", i.key, i.project_key, i.issue_type, status=i.status),
            rule,
        )
        == StartRequest(i.key)
    }
    moved_in_by_webhook = {
        i.key
        for i in issues
        if classify(
            IssueChange(ISSUE_UPDATED, i.key, i.project_key, i.issue_type, new_status=i.status),
            rule,
        )
        == StartRequest(i.key)
    }
    assert found == started_by_webhook == moved_in_by_webhook
    assert found  # the samples hold issues the rule starts


def test_the_search_reads_newest_updates_first_within_the_lookback() -> None:
    jql = RULE.search_jql(36)

    assert jql == (
        'project in ("OPS", "IT") AND issuetype in ("Service Request", "Task") '
        'AND status = "Submitted" AND updated >= -36h ORDER BY updated DESC'
    )


def test_the_search_quotes_configured_names() -> None:
    rule = TriggerRule(trigger_status='Ready "now"', project_keys=("A\\B",))

    assert 'status = "Ready \\"now\\""' in rule.search_jql(1)
    assert 'project in ("A\\\\B")' in rule.search_jql(1)
