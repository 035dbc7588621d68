"""Jira Cloud's webhook payload shapes (tests/fixtures/jira_webhooks) and what each should do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "jira_webhooks"
STARTED = "started"

# file -> STARTED, or (part of) the reason the delivery is ignored
EXPECTED = {
    "issue_created.json": STARTED,
    "issue_created_null_description.json": STARTED,
    "issue_updated_status_change.json": STARTED,
    "issue_updated_status_change_capital_field.json": STARTED,
    "issue_updated_without_status_change.json": "no status change",
    "issue_updated_status_change_not_a_trigger.json": "In Progress is not a trigger",
}


def fixture(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return payload


def for_issue(name: str, issue_key: str, issue_id: str) -> bytes:
    """The fixture's body about another issue: only its key and id change."""
    payload = fixture(name)
    old_key = payload["issue"]["key"]
    payload["issue"]["key"], payload["issue"]["id"] = issue_key, issue_id
    return json.dumps(payload).replace(f"/{old_key}/", f"/{issue_key}/").encode()
