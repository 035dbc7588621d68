"""The parts of a Jira Cloud webhook payload the workflow relies on."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from jira_workflow.domain.trigger import IssueChange, actor_name, is_status_item
from jira_workflow.models.fields import IssueKey


class _Lenient(BaseModel):
    # Jira sends far more than we read; unknown fields are expected, not errors.
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class _Named(_Lenient):
    name: str = Field(min_length=1)


class _Status(_Named):
    id: str | None = None


class _Project(_Lenient):
    key: str = Field(min_length=1)


class _IssueFields(_Lenient):
    project: _Project
    issuetype: _Named
    status: _Status | None = None
    summary: str | None = None


class WebhookIssue(_Lenient):
    key: IssueKey
    fields: _IssueFields

    @property
    def project_key(self) -> str:
        return self.fields.project.key

    @property
    def issue_type(self) -> str:
        return self.fields.issuetype.name


class _User(_Lenient):
    display_name: str | None = Field(default=None, alias="displayName")
    account_id: str | None = Field(default=None, alias="accountId")


class _ChangeItem(_Lenient):
    field: str = ""
    field_id: str | None = Field(default=None, alias="fieldId")
    to_string: str | None = Field(default=None, alias="toString")
    to: str | None = None  # the status id, for a status item

    @property
    def is_status_change(self) -> bool:
        return is_status_item(self.field, self.field_id)


class _Changelog(_Lenient):
    id: str | int | None = None
    items: list[_ChangeItem] = Field(default_factory=list)


class WebhookEvent(_Lenient):
    """Just the event name: read first, so unknown events are ignored, not rejected."""

    webhook_event: str = Field(alias="webhookEvent", min_length=1)


# Epoch milliseconds up to the year 9999: any later one is no time a datetime can hold.
_LAST_TIMESTAMP_MS = 253_402_300_799_999


class JiraWebhook(WebhookEvent):
    issue: WebhookIssue
    user: _User | None = None
    changelog: _Changelog | None = None
    # When the event happened (epoch ms). Signed with the body, so it bounds replays.
    timestamp: int = Field(ge=0, le=_LAST_TIMESTAMP_MS)

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

    def _status_item(self) -> _ChangeItem | None:
        if self.changelog is None:
            return None
        return next((i for i in self.changelog.items if i.is_status_change and i.to_string), None)

    def actor(self) -> str:
        if self.user is None:
            return "jira"
        return actor_name(self.user.display_name, self.user.account_id)
