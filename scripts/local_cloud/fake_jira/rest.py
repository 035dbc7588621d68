"""The JSON shapes of Jira Cloud REST v3: issues, transitions, comments, errors, projects,
their statuses and workflows, the caller's permissions, and the opaque page tokens of
`/search/jql`. What these produce is checked against the OpenAPI
spec on every answer (`FakeJira.response_problems`)."""

from __future__ import annotations

import base64
import binascii
import uuid
import zlib
from datetime import datetime
from typing import Any

from local_cloud.fake_jira.model import (
    FakeComment,
    FakeHistory,
    FakeIssue,
    FakeProject,
    Transition,
    Workflow,
)

_DONE_STATUSES = frozenset({"Done", "Rejected", "Failed"})
# Jira's project permissions the fake knows: key -> (id, name), as Jira Cloud numbers them.
PROJECT_PERMISSIONS: dict[str, tuple[str, str]] = {
    "BROWSE_PROJECTS": ("10", "Browse Projects"),
    "CREATE_ISSUES": ("11", "Create Issues"),
    "EDIT_ISSUES": ("12", "Edit Issues"),
    "ADD_COMMENTS": ("15", "Add Comments"),
    "ADMINISTER_PROJECTS": ("23", "Administer Projects"),
    "VIEW_READONLY_WORKFLOW": ("45", "View Read-Only Workflow"),
    "TRANSITION_ISSUES": ("46", "Transition Issues"),
}


def errors(message: str) -> dict[str, Any]:
    """Jira's error collection with one message."""
    return {"errorMessages": [message], "errors": {}}


def jira_time(when: datetime) -> str:
    """Jira's timestamp: milliseconds and a `+0000` offset without a colon."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}+0000"


def status_category(status: str) -> str:
    if status in _DONE_STATUSES:
        return "done"
    return "new" if status == "To Do" else "indeterminate"


def issue_json(
    issue: FakeIssue, workflow: Workflow, base_url: str, fields: list[str] | None
) -> dict[str, Any]:
    """An issue with the requested fields (None: all of them)."""
    rendered: dict[str, Any] = {
        "id": issue.id,
        "key": issue.key,
        "self": f"{base_url}/rest/api/3/issue/{issue.id}",
    }
    selected = _select_fields(_all_fields(issue, workflow), fields)
    if selected is not None:
        rendered["fields"] = selected
    return rendered


def changelog_json(issue: FakeIssue) -> dict[str, Any]:
    """`expand=changelog`: a page of histories, most recent first as the spec describes."""
    histories = [_history_json(h) for h in reversed(issue.histories)]
    return {"startAt": 0, "maxResults": 100, "total": len(histories), "histories": histories}


def _history_json(history: FakeHistory) -> dict[str, Any]:
    return {
        "id": history.id,
        "author": history.author.to_api(),
        "created": jira_time(history.created),
        "items": [dict(item) for item in history.items],
    }


def transition_json(transition: Transition, workflow: Workflow) -> dict[str, Any]:
    return {
        "id": transition.id,
        "name": transition.name,
        "hasScreen": bool(transition.screen_fields),
        "isGlobal": transition.is_global,
        "isInitial": False,
        "isAvailable": True,
        "isConditional": False,
        "to": _status_json(transition.to_status, workflow),
    }


def issue_type_id(name: str) -> str:
    """A stable id per type name: Jira's ids are opaque, but they do not change."""
    return str(zlib.crc32(name.encode()) % 10000)


def project_json(project: FakeProject, base_url: str) -> dict[str, Any]:
    return {
        "id": project.id,
        "key": project.key,
        "name": project.key,
        "self": f"{base_url}/rest/api/3/project/{project.id}",
        "projectTypeKey": "software",
        "simplified": False,
        "style": "classic",
        "isPrivate": False,
        "issueTypes": [
            {
                "id": issue_type_id(name),
                "name": name,
                "self": f"{base_url}/rest/api/3/issuetype/{issue_type_id(name)}",
                "subtask": False,
                "hierarchyLevel": 0,
            }
            for name in project.issue_types
        ],
    }


def project_statuses_json(
    project: FakeProject, workflow: Workflow, base_url: str
) -> list[dict[str, Any]]:
    """`GET /project/{key}/statuses`: every issue type of the project and its statuses."""
    return [
        {
            "id": issue_type_id(name),
            "name": name,
            "self": f"{base_url}/rest/api/3/issueType/{issue_type_id(name)}",
            "subtask": False,
            "statuses": [
                {
                    **_status_json(status, workflow),
                    "self": f"{base_url}/rest/api/3/status/{workflow.status_id(status)}",
                }
                for status in workflow.statuses
            ],
        }
        for name in project.issue_types
    ]


def permissions_json(keys: list[str], granted: frozenset[str]) -> dict[str, Any]:
    """`GET /mypermissions`: each asked-for permission and whether the caller has it."""
    answer = {}
    for key in keys:
        permission_id, name = PROJECT_PERMISSIONS[key]
        answer[key] = {
            "id": permission_id,
            "key": key,
            "name": name,
            "type": "PROJECT",
            "description": f"Ability to {name.lower()}.",
            "havePermission": key in granted,
        }
    return {"permissions": answer}


def workflows_json(workflows: list[Workflow]) -> dict[str, Any]:
    """`POST /workflows` (bulk get): the workflows and the statuses they reference.

    A status's reference is its id; a global transition has no links, a directed one links
    each status it starts from; the initial transition creates issues in the first status.
    """
    statuses = {
        status: workflow.status_id(status) for workflow in workflows for status in workflow.statuses
    }
    return {
        "statuses": [
            {
                "id": status_id,
                "name": status,
                "statusReference": status_id,
                "statusCategory": _workflow_status_category(status),
                "scope": {"type": "GLOBAL"},
                "description": "",
            }
            for status, status_id in statuses.items()
        ],
        "workflows": [_workflow_json(workflow) for workflow in workflows],
    }


def _workflow_json(workflow: Workflow) -> dict[str, Any]:
    initial = {
        "id": "1",
        "name": "Create",
        "type": "INITIAL",
        "toStatusReference": workflow.status_id(workflow.statuses[0]),
        "links": [],
    }
    return {
        "id": str(zlib.crc32(workflow.name.encode())),
        "name": workflow.name,
        "description": "",
        "isEditable": True,
        "scope": {"type": "GLOBAL"},
        "version": {"id": "1", "versionNumber": 1},
        "statuses": [{"statusReference": workflow.status_id(s)} for s in workflow.statuses],
        "transitions": [
            initial,
            *(_workflow_transition_json(t, workflow) for t in workflow.transitions),
        ],
    }


def _workflow_transition_json(transition: Transition, workflow: Workflow) -> dict[str, Any]:
    return {
        "id": transition.id,
        "name": transition.name,
        "type": "GLOBAL" if transition.is_global else "DIRECTED",
        "toStatusReference": workflow.status_id(transition.to_status),
        "links": [
            {"fromStatusReference": workflow.status_id(status)}
            for status in transition.from_statuses
        ],
    }


def _workflow_status_category(status: str) -> str:
    return {"done": "DONE", "new": "TODO"}.get(status_category(status), "IN_PROGRESS")


def comment_json(issue_key: str, comment: FakeComment, base_url: str) -> dict[str, Any]:
    return {
        "id": comment.id,
        "self": f"{base_url}/rest/api/3/issue/{issue_key}/comment/{comment.id}",
        "author": comment.author.to_api(),
        "body": comment.body,
        "created": jira_time(comment.created),
        "updated": jira_time(comment.created),
    }


def field_list(raw: str | None, default: str) -> list[str]:
    """`?fields=a,b` as a list."""
    return [f.strip() for f in (raw or default).split(",") if f.strip()]


def encode_page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def decode_page_token(token: object) -> int | None:
    """The offset a token stands for: 0 without one, None for a token the fake never gave."""
    if token in (None, ""):
        return 0
    try:
        text = base64.urlsafe_b64decode(str(token).encode()).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    prefix, _, number = text.partition(":")
    return int(number) if prefix == "offset" and number.isdigit() else None


def _all_fields(issue: FakeIssue, workflow: Workflow) -> dict[str, Any]:
    return {
        "summary": issue.summary,
        "description": issue.description,
        "issuetype": {"id": issue_type_id(issue.issue_type), "name": issue.issue_type},
        "project": {"id": issue.project_id, "key": issue.project_key, "name": issue.project_key},
        "status": _status_json(issue.status, workflow),
        "labels": list(issue.labels),
        "reporter": issue.reporter.to_api(),
        "priority": {"id": "3", "name": issue.priority},
        "created": jira_time(issue.created),
        "updated": jira_time(issue.updated),
    }


def _status_json(status: str, workflow: Workflow) -> dict[str, Any]:
    return {
        "id": workflow.status_id(status),
        "name": status,
        "statusCategory": {"key": status_category(status)},
    }


def _select_fields(all_fields: dict[str, Any], wanted: list[str] | None) -> dict[str, Any] | None:
    if wanted is None or "*all" in wanted or "*navigable" in wanted:
        return dict(all_fields)
    chosen = {name: all_fields[name] for name in wanted if name in all_fields}
    # Only `id` requested: Jira omits `fields` altogether.
    return chosen if chosen or wanted != ["id"] else None


def group_id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"group:{name}"))


def group_json(name: str, base_url: str) -> dict[str, Any]:
    """A group as /user/groups lists it (GroupName)."""
    gid = group_id(name)
    return {"name": name, "groupId": gid, "self": f"{base_url}/rest/api/3/group?groupId={gid}"}
