"""The parts of a Jira Cloud webhook payload the workflow relies on.

Checked by hand rather than with a validation library, like the API's bodies (models/api.py):
the webhook reads a dozen fields, and pydantic cost it more than half an `import boto3` at
every cold start (README, "Performance"). Jira sends far more than we read, so unknown fields
are expected, not errors. Problems name the field's path, never the value sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jira_workflow.domain.errors import MalformedBody
from jira_workflow.domain.requests import ISSUE_KEY_PATTERN
from jira_workflow.domain.trigger import IssueChange, actor_name, is_status_item

MAX_REPORTED_PROBLEMS = 5
# Epoch milliseconds up to the year 9999: any later one is no time a datetime can hold.
_LAST_TIMESTAMP_MS = 253_402_300_799_999


class _Reader:
    """Reads fields of a parsed JSON document, noting each problem under the field's path.

    A part that cannot be read comes back as an empty placeholder, so reading goes on and
    reports every problem; `fail_if_any` raises before a placeholder can be used.
    """

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail_if_any(self) -> None:
        if self.problems:
            raise MalformedBody("; ".join(self.problems[:MAX_REPORTED_PROBLEMS]))

    def object(self, value: Any, path: str, required: bool = True) -> dict[str, Any] | None:
        """A JSON object; None (with a problem if required) when absent or null."""
        if value is None:
            if required:
                self.problems.append(f"{path}: field required")
            return None
        if not isinstance(value, dict):
            self.problems.append(f"{path}: must be a JSON object")
            return None
        return value

    def text(
        self,
        document: dict[str, Any],
        name: str,
        path: str,
        required: bool = True,
        min_chars: int = 0,
    ) -> str | None:
        """A string field of at least `min_chars`; None when an optional one is absent or null."""
        value = document.get(name)
        where = f"{path}.{name}" if path else name
        if value is None:
            if required:
                self.problems.append(f"{where}: field required")
        elif not isinstance(value, str):
            self.problems.append(f"{where}: must be a string")
        elif len(value) < min_chars:
            self.problems.append(f"{where}: must be at least {min_chars} character(s)")
        else:
            return value
        return None


@dataclass(frozen=True)
class Named:
    name: str
    id: str | None = None

    @classmethod
    def read(cls, reader: _Reader, value: Any, path: str, required: bool) -> Named | None:
        document = reader.object(value, path, required)
        if document is None:
            return None
        name = reader.text(document, "name", path, min_chars=1)
        status_id = reader.text(document, "id", path, required=False)
        return cls(name or "", status_id)


@dataclass(frozen=True)
class IssueFields:
    project_key: str
    issuetype: Named
    status: Named | None = None
    summary: str | None = None

    @classmethod
    def read(cls, reader: _Reader, value: Any, path: str) -> IssueFields:
        document = reader.object(value, path)
        if document is None:
            return cls("", Named(""))
        project = reader.object(document.get("project"), f"{path}.project")
        project_key = (
            reader.text(project, "key", f"{path}.project", min_chars=1)
            if project is not None
            else ""
        )
        issuetype = Named.read(reader, document.get("issuetype"), f"{path}.issuetype", True)
        status = Named.read(reader, document.get("status"), f"{path}.status", False)
        summary = reader.text(document, "summary", path, required=False)
        return cls(project_key or "", issuetype or Named(""), status, summary)


@dataclass(frozen=True)
class WebhookIssue:
    key: str
    fields: IssueFields

    @classmethod
    def read(cls, reader: _Reader, value: Any) -> WebhookIssue:
        document = reader.object(value, "issue")
        if document is None:
            return cls("", IssueFields("", Named("")))
        key = reader.text(document, "key", "issue")
        if key is not None and not re.fullmatch(ISSUE_KEY_PATTERN, key):
            reader.problems.append("issue.key: must look like PROJ-123")
        return cls(key or "", IssueFields.read(reader, document.get("fields"), "issue.fields"))

    @property
    def project_key(self) -> str:
        return self.fields.project_key

    @property
    def issue_type(self) -> str:
        return self.fields.issuetype.name


@dataclass(frozen=True)
class User:
    display_name: str | None = None
    account_id: str | None = None

    @classmethod
    def read(cls, reader: _Reader, value: Any) -> User | None:
        document = reader.object(value, "user", required=False)
        if document is None:
            return None
        return cls(
            reader.text(document, "displayName", "user", required=False),
            reader.text(document, "accountId", "user", required=False),
        )


@dataclass(frozen=True)
class ChangeItem:
    field: str = ""
    field_id: str | None = None
    to_string: str | None = None
    to: str | None = None  # the status id, for a status item

    @classmethod
    def read(cls, reader: _Reader, value: Any, path: str) -> ChangeItem:
        document = reader.object(value, path)
        if document is None:
            return cls()
        field = "" if "field" not in document else reader.text(document, "field", path)
        return cls(
            field or "",
            reader.text(document, "fieldId", path, required=False),
            reader.text(document, "toString", path, required=False),
            reader.text(document, "to", path, required=False),
        )

    @property
    def is_status_change(self) -> bool:
        return is_status_item(self.field, self.field_id)


@dataclass(frozen=True)
class Changelog:
    id: str | int | None = None
    items: tuple[ChangeItem, ...] = ()

    @classmethod
    def read(cls, reader: _Reader, value: Any) -> Changelog | None:
        document = reader.object(value, "changelog", required=False)
        if document is None:
            return None
        change_id = document.get("id")
        if change_id is not None and (
            isinstance(change_id, bool) or not isinstance(change_id, str | int)
        ):
            reader.problems.append("changelog.id: must be a string or an integer")
            change_id = None
        items = document.get("items", [])
        if not isinstance(items, list):
            reader.problems.append("changelog.items: must be a list")
            items = []
        return cls(
            change_id,
            tuple(
                ChangeItem.read(reader, item, f"changelog.items.{index}")
                for index, item in enumerate(items)
            ),
        )


@dataclass(frozen=True)
class WebhookEvent:
    """Just the event name: read first, so unknown events are ignored, not rejected."""

    webhook_event: str

    @classmethod
    def from_document(cls, document: Any) -> WebhookEvent:
        """The event's name, or MalformedBody (400) naming the field."""
        reader = _Reader()
        event = reader.text(_body(document), "webhookEvent", "", min_chars=1)
        reader.fail_if_any()
        return cls(event or "")


@dataclass(frozen=True)
class JiraWebhook(WebhookEvent):
    issue: WebhookIssue
    user: User | None
    changelog: Changelog | None
    # When the event happened (epoch ms). Signed with the body, so it bounds replays.
    timestamp: int

    @classmethod
    def from_document(cls, document: Any) -> JiraWebhook:
        """The delivery, or MalformedBody (400) naming each bad field."""
        body = _body(document)
        reader = _Reader()
        event = reader.text(body, "webhookEvent", "", min_chars=1)
        issue = WebhookIssue.read(reader, body.get("issue"))
        user = User.read(reader, body.get("user"))
        changelog = Changelog.read(reader, body.get("changelog"))
        timestamp = _timestamp(reader, body.get("timestamp"))
        reader.fail_if_any()
        return cls(event or "", issue, user, changelog, timestamp)

    def issue_change(self) -> IssueChange:
        """The delivery as the trigger rule reads it."""
        status = self.issue.fields.status
        moved = self._status_item()
        return IssueChange(
            event=self.webhook_event,
            issue_key=self.issue.key,
            project_key=self.issue.project_key,
            issue_type=self.issue.issue_type,
            new_status=moved.to_string if moved else None,
            actor=self.actor(),
            status=status.name if status else None,
            new_status_id=moved.to if moved else None,
            status_id=status.id if status else None,
            actor_account_id=self.user.account_id if self.user else None,
            change_id=str(self.changelog.id or "") if self.changelog else "",
        )

    def new_status(self) -> str | None:
        """The status the issue moved into, if this delivery is a status change."""
        moved = self._status_item()
        return moved.to_string if moved else None

    def _status_item(self) -> ChangeItem | None:
        if self.changelog is None:
            return None
        return next((i for i in self.changelog.items if i.is_status_change and i.to_string), None)

    def actor(self) -> str:
        if self.user is None:
            return "jira"
        return actor_name(self.user.display_name, self.user.account_id)


def _body(document: Any) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise MalformedBody("body: must be a JSON object")
    return document


def _timestamp(reader: _Reader, value: Any) -> int:
    """Epoch milliseconds, required: a bool is no time, though JSON's true is an int to Python."""
    if value is None:
        reader.problems.append("timestamp: field required")
    elif isinstance(value, bool) or not isinstance(value, int):
        reader.problems.append("timestamp: must be an integer")
    elif not 0 <= value <= _LAST_TIMESTAMP_MS:
        reader.problems.append(f"timestamp: must be 0 to {_LAST_TIMESTAMP_MS}")
    else:
        return value
    return 0
