"""The JSON shapes of Jira Cloud REST v3: issues, transitions, comments, errors, and the
opaque page tokens of `/search/jql`. What these produce is checked against the OpenAPI
spec on every answer (`FakeJira.response_problems`)."""

from __future__ import annotations

import base64
import binascii
import zlib
from datetime import datetime
from typing import Any

from local_cloud.fake_jira.model import FakeComment, FakeIssue, Transition, Workflow

_DONE_STATUSES = frozenset({"Done", "Rejected", "Failed"})


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


def transition_json(transition: Transition, workflow: Workflow) -> dict[str, Any]:
    return {
        "id": transition.id,
        "name": transition.name,
        "hasScreen": bool(transition.screen_fields),
        "isGlobal": not transition.from_statuses,
        "isInitial": False,
        "isAvailable": True,
        "isConditional": False,
        "to": _status_json(transition.to_status, workflow),
    }


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
        "issuetype": {
            # A stable id per type name: Jira's ids are opaque, but they do not change.
            "id": str(zlib.crc32(issue.issue_type.encode()) % 10000),
            "name": issue.issue_type,
        },
        "project": {"id": "10000", "key": issue.project_key, "name": issue.project_key},
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
