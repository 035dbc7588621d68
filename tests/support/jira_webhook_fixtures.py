"""Jira Cloud's webhook payload shapes (tests/fixtures/jira_webhooks) and what each should do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "jira_webhooks"
STARTED = "started"

# file -> STARTED, or (part of) the reason the delivery is ignored. `captured_*`: deliveries
# Jira Cloud sent, from public projects' fixtures (README.md); the others are written to
# Atlassian's documented shape.
EXPECTED = {
    "captured_issue_created.json": STARTED,
    "captured_issue_created_null_description.json": STARTED,
    "captured_issue_created_capital_status.json": STARTED,
    "captured_issue_updated_status_change.json": STARTED,
    "captured_issue_updated_without_status_change.json": "no status change",
    "issue_created.json": STARTED,
    "issue_created_null_description.json": STARTED,
    "issue_updated_status_change.json": STARTED,
    "issue_updated_status_change_capital_field.json": STARTED,
    "issue_updated_without_status_change.json": "no status change",
    "issue_updated_status_change_not_a_trigger.json": "In Progress is not a trigger",
}


# Captured deliveries whose changelog names the status item "Status" (fieldId "status").
CAPITAL_STATUS_ITEM = (
    "captured_issue_created.json",
    "captured_issue_created_null_description.json",
    "captured_issue_created_capital_status.json",
)


def fixture(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return payload


def for_issue(name: str, issue_key: str, issue_id: str, sent_at_ms: int | None = None) -> bytes:
    """The fixture's body about another issue: only its key and id change, and, with
    `sent_at_ms`, the moment Jira sent it (a captured body is months old, and the webhook
    refuses deliveries older than its freshness window, as it should a replay)."""
    payload = fixture(name)
    old_key = payload["issue"]["key"]
    payload["issue"]["key"], payload["issue"]["id"] = issue_key, issue_id
    if sent_at_ms is not None:
        payload["timestamp"] = sent_at_ms
    return json.dumps(payload).replace(f"/{old_key}/", f"/{issue_key}/").encode()
