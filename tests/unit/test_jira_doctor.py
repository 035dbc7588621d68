"""The Jira doctor's requirement logic and its reader, with canned site answers (no HTTP)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import responses

from jira_workflow.adapters.jira import JiraCredentials
from jira_workflow.domain.trigger import TriggerRule
from workflow_tools.jira_doctor.requirements import (
    Finding,
    Move,
    Outcome,
    check_project,
    check_site,
    required_moves,
)
from workflow_tools.jira_doctor.site import (
    CredentialsRefused,
    IssueTypeStatuses,
    ProjectSite,
    SiteReader,
    SiteWorkflow,
    WorkflowTransition,
    parse_workflow,
)

BOT = "workflow-bot@acme.test"
STATUSES = ("Submitted", "Awaiting Approval", "Approved", "Rejected", "Done", "Failed")
RULE = TriggerRule(
    project_keys=("OPS",),
    issue_types=("Task",),
    trigger_status="Submitted",
    approval_pending_status="Awaiting Approval",
    approve_status="Approved",
    reject_status="Rejected",
    done_status="Done",
    failed_status="Failed",
)
ALL_PERMISSIONS = {"BROWSE_PROJECTS": True, "ADD_COMMENTS": True, "TRANSITION_ISSUES": True}


def global_workflow(*targets: str) -> SiteWorkflow:
    return SiteWorkflow("Request workflow", tuple(WorkflowTransition(t, t) for t in targets))


def project(
    workflow: SiteWorkflow | None = None,
    statuses: tuple[str, ...] = STATUSES,
    permissions: dict[str, bool] | None = None,
) -> ProjectSite:
    return ProjectSite(
        key="OPS",
        found=True,
        permissions=ALL_PERMISSIONS if permissions is None else permissions,
        issue_types=(IssueTypeStatuses("3", "Task", statuses),),
        workflows={"Task": workflow if workflow is not None else global_workflow(*STATUSES)},
    )


def failing(findings: list[Finding]) -> list[str]:
    return [f.requirement for f in findings if f.fails]


def moves(rule: TriggerRule, auto_approve: bool = False) -> set[tuple[str, str]]:
    return {(m.from_status, m.to_status) for m in required_moves(rule, auto_approve)}


def needed(rule: TriggerRule, auto_approve: bool = False) -> set[tuple[str, str]]:
    """The moves whose absence fails the doctor; the rest are told by comment without them."""
    listed = required_moves(rule, auto_approve)
    return {(m.from_status, m.to_status) for m in listed if m.required}


# ---- Which transitions the product performs -------------------------------------------


def test_required_moves_are_the_transitions_transition_to_attempts() -> None:
    assert moves(RULE) == {
        ("Submitted", "Awaiting Approval"),  # request_approval
        ("Awaiting Approval", "Approved"),  # people decide in Jira
        ("Approved", "Done"),  # report: approved in Jira
        ("Awaiting Approval", "Done"),  # report: approved through the callback
        ("Awaiting Approval", "Rejected"),  # people reject; report: rejected
        ("Submitted", "Failed"),  # record_failure from each place a step can fail
        ("Awaiting Approval", "Failed"),
        ("Approved", "Failed"),
        ("Rejected", "Failed"),
    }


def test_only_the_runbooks_transitions_are_required() -> None:
    assert needed(RULE, auto_approve=True) == {
        ("Submitted", "Awaiting Approval"),
        ("Awaiting Approval", "Approved"),
        ("Awaiting Approval", "Rejected"),
        ("Approved", "Done"),
        ("Approved", "Failed"),
    }


def test_auto_approval_adds_the_move_from_the_trigger_status_to_done() -> None:
    assert moves(RULE, auto_approve=True) - moves(RULE) == {("Submitted", "Done")}


def test_without_a_pending_status_the_request_waits_in_the_trigger_status() -> None:
    rule = TriggerRule(project_keys=("OPS",), done_status="Done", failed_status="Failed")
    assert moves(rule, auto_approve=True) == {
        ("Submitted", "Approved"),
        ("Approved", "Done"),
        ("Submitted", "Done"),
        ("Submitted", "Rejected"),
        ("Submitted", "Failed"),
        ("Approved", "Failed"),
        ("Rejected", "Failed"),
    }


def test_unset_done_and_failed_statuses_are_never_moved_to() -> None:
    rule = TriggerRule(project_keys=("OPS",), approval_pending_status="Awaiting Approval")
    assert moves(rule) == {
        ("Submitted", "Awaiting Approval"),
        ("Awaiting Approval", "Approved"),
        ("Awaiting Approval", "Rejected"),
    }


def test_a_move_needed_for_two_reasons_is_listed_once_with_both() -> None:
    rule = TriggerRule(project_keys=("OPS",), done_status="Done")
    listed = required_moves(rule, auto_approve=True)
    submitted_done = [m for m in listed if (m.from_status, m.to_status) == ("Submitted", "Done")]
    assert submitted_done == [
        Move(
            "Submitted",
            "Done",
            "report_outcome: approved through the callback; report_outcome: auto-approved",
            required=False,
        )
    ]


# ---- Transitions as Jira offers them ---------------------------------------------------


def test_a_global_transition_is_offered_from_every_status_but_its_own() -> None:
    workflow = global_workflow("Done")
    assert workflow.can_move("Approved", "Done")
    assert workflow.can_move("Submitted", "done")  # the product compares in any case
    assert not workflow.can_move("Done", "Done")


def test_a_directed_transition_is_offered_only_from_its_start_statuses() -> None:
    workflow = SiteWorkflow("W", (WorkflowTransition("Complete", "Done", ("Approved",)),))
    assert workflow.can_move("Approved", "Done")
    assert not workflow.can_move("Awaiting Approval", "Done")


def test_a_transition_named_like_the_status_counts_as_the_product_matches_names_too() -> None:
    workflow = SiteWorkflow("W", (WorkflowTransition("Done", "Closed", ("Approved",)),))
    assert workflow.can_move("Approved", "Done")


# ---- The table -------------------------------------------------------------------------


def test_a_correctly_configured_project_passes() -> None:
    findings = check_site(RULE, False, [project()], "https://api.example/prod/jira/webhook", BOT)
    assert failing(findings) == []
    assert {f.outcome for f in findings} == {Outcome.OK, Outcome.MANUAL}


def test_a_missing_transition_fails_naming_it_and_its_fix() -> None:
    workflow = SiteWorkflow(
        "Ops workflow",
        (
            *(WorkflowTransition(s, s) for s in STATUSES if s != "Done"),
            WorkflowTransition("Complete", "Done", ("Awaiting Approval",)),
        ),
    )
    findings = check_project(RULE, False, project(workflow), BOT)
    assert failing(findings) == [
        "OPS / Task: transition Approved -> Done (report_outcome: approved in Jira)"
    ]
    fix = next(f.fix for f in findings if f.fails)
    assert "in workflow 'Ops workflow' add a transition from Approved to Done" in fix


def test_a_missing_optional_transition_is_advice_not_a_failure() -> None:
    workflow = SiteWorkflow(
        "Ops workflow",
        (
            *(WorkflowTransition(s, s) for s in STATUSES if s != "Done"),
            WorkflowTransition("Complete", "Done", ("Approved",)),
        ),
    )
    findings = check_project(RULE, False, project(workflow), BOT)
    assert failing(findings) == []
    advice = [f for f in findings if f.outcome is Outcome.OPTIONAL]
    assert [f.requirement.split(" (")[0] for f in advice] == [
        "OPS / Task: transition Awaiting Approval -> Done"
    ]
    assert "without it Jira is told by comment" in advice[0].fix


def test_a_missing_status_names_its_setting() -> None:
    statuses = tuple(s for s in STATUSES if s != "Failed")
    findings = check_project(RULE, False, project(statuses=statuses), BOT)
    assert "OPS / Task: status 'Failed' (FAILED_STATUS)" in failing(findings)


def test_a_missing_permission_is_named_with_where_to_grant_it() -> None:
    permissions = {**ALL_PERMISSIONS, "TRANSITION_ISSUES": False}
    findings = check_project(RULE, False, project(permissions=permissions), BOT)
    assert failing(findings) == ["OPS: bot has TRANSITION_ISSUES"]
    assert f"grant Transition issues to {BOT}" in next(f.fix for f in findings if f.fails)


def test_a_missing_project_is_one_row() -> None:
    findings = check_project(RULE, False, ProjectSite("OPS", found=False), BOT)
    assert [(f.requirement, f.outcome) for f in findings] == [
        ("OPS: project exists and the bot can browse it", Outcome.MISSING)
    ]


def test_a_configured_issue_type_the_project_lacks_is_missing() -> None:
    rule = TriggerRule(project_keys=("OPS",), issue_types=("Task", "Service Request"))
    findings = check_project(rule, False, project(), BOT)
    assert failing(findings) == ["OPS: issue type 'Service Request' exists"]


def test_without_configured_issue_types_every_issue_type_of_the_project_is_checked() -> None:
    rule = TriggerRule(project_keys=("OPS",))
    findings = check_project(rule, False, project(), BOT)
    assert any(f.requirement.startswith("OPS / Task: status 'Submitted'") for f in findings)


def test_an_unreadable_workflow_leaves_its_transitions_unknown_and_failing() -> None:
    site = ProjectSite(
        "OPS",
        True,
        ALL_PERMISSIONS,
        (IssueTypeStatuses("3", "Task", STATUSES),),
        {"Task": None},
    )
    findings = [f for f in check_project(RULE, False, site, BOT) if "transition" in f.requirement]
    assert findings
    assert {f.outcome for f in findings} == {Outcome.UNKNOWN}
    assert all(f.fails for f in findings)
    assert f"grant {BOT} View (read-only) workflow in OPS" in findings[0].fix


def test_the_webhook_is_a_manual_check_naming_the_exact_url() -> None:
    url = "https://abc.execute-api.eu-west-1.amazonaws.com/prod/jira/webhook"
    webhook = check_site(RULE, False, [project()], url, BOT)[-1]
    assert webhook.outcome is Outcome.MANUAL
    assert not webhook.fails
    assert f"URL is exactly {url}" in webhook.fix


def test_no_trigger_projects_is_missing_configuration() -> None:
    findings = check_site(TriggerRule(), False, [], "", BOT)
    assert failing(findings) == ["TRIGGER_PROJECT_KEYS names the trigger projects"]


# ---- Reading Jira's answers ------------------------------------------------------------


def test_parse_workflow_reads_global_directed_and_skips_initial_transitions() -> None:
    body: dict[str, Any] = {
        "statuses": [
            {"statusReference": "1", "name": "Submitted"},
            {"statusReference": "2", "name": "Approved"},
            {"statusReference": "3", "name": "Done"},
        ],
        "workflows": [
            {
                "name": "Ops workflow",
                "transitions": [
                    {"name": "Create", "type": "INITIAL", "toStatusReference": "1", "links": []},
                    {"name": "Fail", "type": "GLOBAL", "toStatusReference": "2", "links": []},
                    {
                        "name": "Complete",
                        "type": "DIRECTED",
                        "toStatusReference": "3",
                        "links": [{"fromStatusReference": "2", "fromPort": 0, "toPort": 1}],
                    },
                ],
            }
        ],
    }
    assert parse_workflow(body) == SiteWorkflow(
        "Ops workflow",
        (
            WorkflowTransition("Fail", "Approved"),
            WorkflowTransition("Complete", "Done", ("Approved",)),
        ),
    )
    assert parse_workflow({"statuses": [], "workflows": []}) is None


BASE = "https://acme.atlassian.net"


@pytest.fixture
def jira() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def reader() -> SiteReader:
    return SiteReader(BASE, JiraCredentials(BOT, "token"))


def test_a_project_jira_answers_404_for_is_not_found(jira: responses.RequestsMock) -> None:
    jira.get(f"{BASE}/rest/api/3/project/OPS", status=404, json={"errorMessages": ["no"]})
    assert reader().read_project("OPS", ()) == ProjectSite("OPS", found=False)


def test_refused_credentials_stop_the_doctor(jira: responses.RequestsMock) -> None:
    jira.get(f"{BASE}/rest/api/3/project/OPS", status=401)
    with pytest.raises(CredentialsRefused, match="401"):
        reader().read_project("OPS", ())


def test_a_forbidden_workflow_read_is_an_unreadable_workflow(
    jira: responses.RequestsMock,
) -> None:
    jira.get(f"{BASE}/rest/api/3/project/OPS", json={"id": "10000", "key": "OPS"})
    jira.get(
        f"{BASE}/rest/api/3/project/OPS/statuses",
        json=[{"id": "3", "name": "Task", "statuses": [{"name": "Submitted"}]}],
    )
    jira.get(
        re.compile(rf"{re.escape(BASE)}/rest/api/3/mypermissions.*"),
        json={"permissions": {"BROWSE_PROJECTS": {"havePermission": True}}},
    )
    jira.post(f"{BASE}/rest/api/3/workflows", status=403, json={"errorMessages": ["no"]})
    site = reader().read_project("OPS", ("task",))
    assert site.found
    assert site.permissions == {"BROWSE_PROJECTS": True}
    assert site.issue_types == (IssueTypeStatuses("3", "Task", ("Submitted",)),)
    assert site.workflows == {"Task": None}
    sent = jira.calls[-1].request
    assert sent.body is not None
    assert b'"projectAndIssueTypes": [{"projectId": "10000", "issueTypeId": "3"}]' in sent.body
