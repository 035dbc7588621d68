"""The parts of a Jira Cloud webhook payload the workflow relies on.

Checked by hand (models/reader.py), like every document the functions read. Jira sends far
more than we read, so unknown fields are expected, not errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jira_workflow.domain.errors import MalformedBody
from jira_workflow.domain.trigger import IssueChange, actor_name, is_status_item
from jira_workflow.models.reader import ISSUE_KEY, FieldReader

# Epoch milliseconds up to the year 9999: any later one is no time a datetime can hold.
_LAST_TIMESTAMP_MS = 253_402_300_799_999


@dataclass(frozen=True)
class Named:
    name: str
    id: str | None = None

    @classmethod
    def read(cls, reader: FieldReader, value: Any, path: str, required: bool) -> Named | None:
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
    def read(cls, reader: FieldReader, value: Any, path: str) -> IssueFields:
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
    def read(cls, reader: FieldReader, value: Any) -> WebhookIssue:
        document = reader.object(value, "issue")
        if document is None:
            return cls("", IssueFields("", Named("")))
        key = reader.text(document, "key", "issue", pattern=ISSUE_KEY)
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
    def read(cls, reader: FieldReader, value: Any) -> User | None:
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
    def read(cls, reader: FieldReader, value: Any, path: str) -> ChangeItem:
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
    def read(cls, reader: FieldReader, value: Any) -> Changelog | None:
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
        reader = FieldReader(MalformedBody)
        event = reader.text(reader.root(document, "body"), "webhookEvent", min_chars=1)
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
        reader = FieldReader(MalformedBody)
        body = reader.root(document, "body")
        event = reader.text(body, "webhookEvent", min_chars=1)
        issue = WebhookIssue.read(reader, body.get("issue"))
        user = User.read(reader, body.get("user"))
        changelog = Changelog.read(reader, body.get("changelog"))
        timestamp = reader.integer(body, "timestamp", 0, _LAST_TIMESTAMP_MS)
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
