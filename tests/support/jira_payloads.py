"""Jira Cloud webhook payloads shaped like the real ones (only the fields we need, plus noise)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any


def now_ms() -> int:
    """Jira's `timestamp`: when the event happened, in epoch milliseconds."""
    return int(time.time() * 1000)


def issue_fields(
    key: str,
    summary: str = "Grant read access to the billing bucket",
    issue_type: str = "Service Request",
    status: str = "To Do",
    description: str | None = "Finance needs read access for the quarterly audit.",
    labels: tuple[str, ...] = (),
) -> dict[str, Any]:
    project = key.split("-", maxsplit=1)[0]
    return {
        "id": "10001",
        "self": f"https://example.atlassian.net/rest/api/3/issue/{key}",
        "key": key,
        "fields": {
            "project": {"key": project, "name": f"{project} project", "id": "10000"},
            "issuetype": {"name": issue_type, "id": "10100"},
            "status": {"name": status, "id": "3"},
            "summary": summary,
            "description": None
            if description is None
            else {
                "type": "doc",
                "version": 1,
                "content": [
                    {"type": "paragraph", "content": [{"type": "text", "text": description}]}
                ],
            },
            "labels": list(labels),
            "reporter": {"displayName": "Alice Reporter", "accountId": "557058:alice"},
            "priority": {"name": "Medium"},
            "customfield_10020": None,
        },
    }


def issue_created(key: str, timestamp: int | None = None, **fields: Any) -> bytes:
    """A person files the issue in the trigger status (pass `status=` for another one),
    just now unless `timestamp` (epoch ms) says when."""
    fields.setdefault("status", "Submitted")
    payload = {
        "timestamp": now_ms() if timestamp is None else timestamp,
        "webhookEvent": "jira:issue_created",
        "issue_event_type_name": "issue_created",
        "user": {"displayName": "Alice Reporter", "accountId": "557058:alice"},
        "issue": issue_fields(key, **fields),
    }
    return json.dumps(payload).encode()


def status_changed(
    key: str,
    from_status: str,
    to_status: str,
    actor: str = "Bob Approver",
    timestamp: int | None = None,
    **fields: Any,
) -> bytes:
    payload = {
        "timestamp": now_ms() if timestamp is None else timestamp,
        "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": "issue_generic",
        "user": {"displayName": actor, "accountId": fake_account_id(actor)},
        "issue": issue_fields(key, status=to_status, **fields),
        "changelog": {
            "id": "10500",
            "items": [
                {
                    "field": "status",
                    "fieldtype": "jira",
                    "fieldId": "status",
                    "from": "10000",
                    "fromString": from_status,
                    "to": "10001",
                    "toString": to_status,
                }
            ],
        },
    }
    return json.dumps(payload).encode()


def fake_account_id(display_name: str) -> str:
    """The account id the fake Jira gives a user of that name (so its groups resolve); a
    name that is not valid text (fuzzed) gets one of no user."""
    try:
        return f"557058:{uuid.uuid5(uuid.NAMESPACE_URL, display_name)}"
    except UnicodeEncodeError:
        return "557058:no-such-user"
