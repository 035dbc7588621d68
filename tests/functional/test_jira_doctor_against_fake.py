"""The Jira doctor's reads against the fake Jira: what it serves comes from its model, every
answer matches Atlassian's spec, and a site missing a transition fails naming it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from jira_workflow.adapters.jira import JiraCredentials
from jira_workflow.domain.trigger import TriggerRule
from local_cloud.fake_jira.fake import FakeJira
from local_cloud.fake_jira.model import (
    DEFAULT_STATUSES,
    GLOBAL_TRANSITIONS,
    RUNBOOK_TRANSITIONS,
    Workflow,
)
from workflow_tools.jira_doctor.requirements import Finding, approver_group_finding, check_site
from workflow_tools.jira_doctor.site import SiteReader

EMAIL, TOKEN = "workflow-bot@example.com", "fake-token"
RULE = TriggerRule(
    project_keys=("OPS",),
    issue_types=("Service Request", "Task"),
    approval_pending_status="Awaiting Approval",
    done_status="Done",
    failed_status="Failed",
)
WEBHOOK = "http://127.0.0.1:9/local/jira/webhook"


def doctor(jira: FakeJira, auto_approve: bool = True) -> list[Finding]:
    reader = SiteReader(jira.url, JiraCredentials(EMAIL, TOKEN))
    projects = [reader.read_project(key, RULE.issue_types) for key in RULE.project_keys]
    findings = check_site(RULE, auto_approve, projects, WEBHOOK, EMAIL)
    assert jira.response_problems == []
    return findings


def failing(findings: list[Finding]) -> list[str]:
    return [f.requirement for f in findings if f.fails]


@pytest.fixture
def site() -> Iterator[FakeJira]:
    with FakeJira(email=EMAIL, api_token=TOKEN) as jira:
        yield jira


def test_the_default_fake_site_has_everything_the_workflow_needs(site: FakeJira) -> None:
    findings = doctor(site)
    assert failing(findings) == []
    # The runbook's workflow has no Submitted -> Done: advice, since Jira is told by comment.
    optional = [f for f in findings if f.outcome.value == "OPTIONAL"]
    assert any("transition Submitted -> Done" in f.requirement for f in optional)
    assert all("told by comment" in f.fix for f in optional)


def test_a_workflow_with_global_transitions_needs_no_advice() -> None:
    workflow = Workflow.build(DEFAULT_STATUSES, GLOBAL_TRANSITIONS)
    with FakeJira(email=EMAIL, api_token=TOKEN, workflow=workflow) as jira:
        findings = doctor(jira)
    assert [f.outcome.value for f in findings if f.outcome.value not in ("OK", "MANUAL")] == []


def test_a_site_without_a_transition_to_done_fails_naming_it() -> None:
    without_done = [t for t in RUNBOOK_TRANSITIONS if t[2] != "Done"]
    with FakeJira(
        email=EMAIL, api_token=TOKEN, workflow=Workflow.build(DEFAULT_STATUSES, without_done)
    ) as jira:
        missing = failing(doctor(jira))
    assert missing == [
        f"OPS / {issue_type}: transition Approved -> Done (report_outcome: approved in Jira)"
        for issue_type in ("Service Request", "Task")
    ]


def test_a_site_without_the_decision_transitions_fails_naming_them() -> None:
    no_decisions = [t for t in RUNBOOK_TRANSITIONS if t[0] not in ("Approve", "Reject")]
    with FakeJira(
        email=EMAIL, api_token=TOKEN, workflow=Workflow.build(DEFAULT_STATUSES, no_decisions)
    ) as jira:
        missing = {r.split(": ", 1)[1].split(" (")[0] for r in failing(doctor(jira))}
    assert missing == {
        "transition Awaiting Approval -> Approved",
        "transition Awaiting Approval -> Rejected",
    }


def test_a_site_without_the_trigger_project_fails_on_it() -> None:
    with FakeJira(email=EMAIL, api_token=TOKEN, projects=("IT",)) as jira:
        assert failing(doctor(jira)) == ["OPS: project exists and the bot can browse it"]


def test_a_revoked_permission_is_reported(site: FakeJira) -> None:
    site.bot_permissions.discard("ADD_COMMENTS")
    assert failing(doctor(site)) == ["OPS: bot has ADD_COMMENTS"]


def test_without_the_workflow_view_the_transitions_are_unknown(site: FakeJira) -> None:
    site.bot_permissions.discard("VIEW_READONLY_WORKFLOW")
    findings = doctor(site)
    unknown = [f for f in findings if f.outcome.value == "UNKNOWN"]
    assert unknown
    assert set(failing(findings)) == {f.requirement for f in unknown}


def test_without_browse_the_project_looks_missing(site: FakeJira) -> None:
    site.bot_permissions.discard("BROWSE_PROJECTS")
    assert failing(doctor(site)) == ["OPS: project exists and the bot can browse it"]


def test_a_project_with_other_issue_types_fails_on_the_configured_ones() -> None:
    with FakeJira(email=EMAIL, api_token=TOKEN, issue_types=("Bug",)) as jira:
        assert failing(doctor(jira)) == [
            "OPS: issue type 'Service Request' exists",
            "OPS: issue type 'Task' exists",
        ]


def test_directed_transitions_are_offered_only_from_their_start_statuses() -> None:
    with FakeJira(email=EMAIL, api_token=TOKEN) as jira:
        key = jira.create_issue("OPS", "x", status="Submitted", notify=False)
        offered = {t.to_status for t in jira.workflow.available_from(jira.status(key))}
    assert offered == {"Awaiting Approval"}


def test_the_fake_serves_projects_statuses_and_workflows_from_its_model() -> None:
    with FakeJira(email=EMAIL, api_token=TOKEN, projects=("OPS", "IT")) as jira:
        auth = (EMAIL, TOKEN)
        project = requests.get(f"{jira.url}/rest/api/3/project/IT", auth=auth, timeout=10).json()
        key = jira.create_issue("IT", "Need a laptop", notify=False)
        issue = requests.get(f"{jira.url}/rest/api/3/issue/{key}", auth=auth, timeout=10).json()
        statuses = requests.get(
            f"{jira.url}/rest/api/3/project/IT/statuses", auth=auth, timeout=10
        ).json()
        pair = {"projectId": project["id"], "issueTypeId": statuses[0]["id"]}
        read = requests.post(
            f"{jira.url}/rest/api/3/workflows",
            json={"projectAndIssueTypes": [pair]},
            auth=auth,
            timeout=10,
        ).json()
        assert jira.response_problems == []
        workflow = jira.workflow
    assert project["id"] == issue["fields"]["project"]["id"] != "10000"
    assert [t["name"] for t in statuses] == ["Service Request", "Task", "Bug"]
    assert {s["name"]: s["id"] for s in statuses[0]["statuses"]} == {
        name: workflow.status_id(name) for name in workflow.statuses
    }
    assert [w["name"] for w in read["workflows"]] == [workflow.name]
    served = {t["name"] for t in read["workflows"][0]["transitions"] if t["type"] == "DIRECTED"}
    assert served == {name for name, _, _ in RUNBOOK_TRANSITIONS}


@pytest.mark.parametrize(
    ("group", "outcome"),
    [("request-approvers", "OK"), ("no-such-group", "MISSING"), ("", "MISSING")],
)
def test_the_approver_group_must_exist(site: FakeJira, group: str, outcome: str) -> None:
    reader = SiteReader(site.url, JiraCredentials(EMAIL, TOKEN))

    finding = approver_group_finding(group, reader.group_exists(group) if group else None)

    assert finding.outcome.value == outcome
    assert site.response_problems == []
