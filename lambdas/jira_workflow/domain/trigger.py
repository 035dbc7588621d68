"""Which Jira issues start a request, which deliveries decide one, and which are ignored.

One trigger rule serves both ways a request starts: the webhook (`classify`) and the
reconciler's search (`TriggerRule.search_jql`), so a lost webhook is always recoverable.
"""

from __future__ import annotations

from dataclasses import dataclass

from jira_workflow.domain.requests import ApprovalDecision, Decision

ISSUE_CREATED = "jira:issue_created"
ISSUE_UPDATED = "jira:issue_updated"


@dataclass(frozen=True)
class TriggerRule:
    """Which Jira issues start a request and which statuses mean what.

    Empty project keys or issue types accept any; an empty status never matches.
    The rule: an issue of a configured project and type that is in (created in), or moves
    into, `trigger_status` starts a request.

    A status id (`*_status_id`, optional) is matched instead of the name wherever Jira
    gives one (changelog `to`, the issue's `status.id`): ids survive a renamed status and
    tell apart two statuses of one name; without an id on either side, names decide.
    """

    project_keys: tuple[str, ...] = ()
    issue_types: tuple[str, ...] = ()
    trigger_status: str = "Submitted"
    approval_pending_status: str = ""
    approve_status: str = "Approved"
    reject_status: str = "Rejected"
    done_status: str = ""
    failed_status: str = ""
    trigger_status_id: str = ""
    approve_status_id: str = ""
    reject_status_id: str = ""

    def covers(self, project_key: str, issue_type: str) -> bool:
        """Whether the issue is of a configured project and issue type."""
        return (not self.project_keys or project_key in self.project_keys) and (
            not self.issue_types or issue_type in self.issue_types
        )

    def starts_request(
        self, project_key: str, issue_type: str, status: str | None, status_id: str | None = None
    ) -> bool:
        """The trigger rule: a configured issue in (or moving into) the trigger status."""
        return (
            self.covers(project_key, issue_type)
            and status is not None
            and _same_status(status, status_id, self.trigger_status, self.trigger_status_id)
        )

    def decision_for(self, status: str, status_id: str | None = None) -> Decision | None:
        """The decision a move into this status means, if any."""
        if _same_status(status, status_id, self.approve_status, self.approve_status_id):
            return Decision.APPROVED
        if _same_status(status, status_id, self.reject_status, self.reject_status_id):
            return Decision.REJECTED
        return None

    def search_jql(self, updated_within_hours: int) -> str:
        """The issues `starts_request` accepts, updated within the lookback, newest first.

        `updated`, not `created`: moving into the trigger status updates the issue, so an
        issue that entered it within the lookback is found even if created long before.
        """
        clauses = []
        if self.project_keys:
            clauses.append(f"project in ({_jql_list(self.project_keys)})")
        if self.issue_types:
            clauses.append(f"issuetype in ({_jql_list(self.issue_types)})")
        clauses.append(f"status = {self._trigger_status_jql()}")
        clauses.append(f"updated >= -{updated_within_hours}h")
        return " AND ".join(clauses) + " ORDER BY updated DESC"

    def _trigger_status_jql(self) -> str:
        """JQL matches a status by id when given an unquoted number, by name when quoted."""
        if self.trigger_status_id.isdigit():
            return self.trigger_status_id
        return _jql_string(self.trigger_status)


@dataclass(frozen=True)
class IssueChange:
    """One webhook delivery, reduced to what the trigger rule reads."""

    event: str
    issue_key: str
    project_key: str
    issue_type: str
    new_status: str | None = None  # the status the issue moved into, if it moved
    actor: str = "jira"
    status: str | None = None  # the issue's status as the delivery shows it
    actor_account_id: str | None = None  # who moved it, as Jira identifies them
    change_id: str = ""  # the changelog entry: one refusal comment per status change
    new_status_id: str | None = None  # the changelog's `to`, where Jira gives it
    status_id: str | None = None  # the issue's `status.id`, where Jira gives it


@dataclass(frozen=True)
class StartRequest:
    issue_key: str


@dataclass(frozen=True)
class DecideApproval:
    decision: ApprovalDecision
    # Who moved the issue and which change it was: only approvers' moves decide.
    actor_account_id: str | None = None
    change_id: str = ""


@dataclass(frozen=True)
class Ignore:
    reason: str


WebhookAction = StartRequest | DecideApproval | Ignore


def classify(change: IssueChange, rule: TriggerRule) -> WebhookAction:
    """Apply the trigger rule to one delivery."""
    if change.event not in (ISSUE_CREATED, ISSUE_UPDATED):
        return Ignore(f"event {change.event} is not handled")
    if rule.project_keys and change.project_key not in rule.project_keys:
        return Ignore(f"project {change.project_key} is not configured")
    if rule.issue_types and change.issue_type not in rule.issue_types:
        return Ignore(f"issue type {change.issue_type} is not configured")
    if change.event == ISSUE_CREATED:
        return _classify_created(change, rule)
    return _classify_status_change(change, rule)


def _classify_created(change: IssueChange, rule: TriggerRule) -> WebhookAction:
    if rule.starts_request(change.project_key, change.issue_type, change.status, change.status_id):
        return StartRequest(change.issue_key)
    # The reconciler could never find it either: its search reads the same rule.
    if rule.trigger_status_id and change.status_id:
        return Ignore(
            f"issue created in status {change.status} (id {change.status_id}), "
            f"not {rule.trigger_status} (id {rule.trigger_status_id})"
        )
    return Ignore(f"issue created in status {change.status}, not {rule.trigger_status}")


def _classify_status_change(change: IssueChange, rule: TriggerRule) -> WebhookAction:
    new_status = change.new_status
    if new_status is None:
        return Ignore("no status change")
    if rule.starts_request(change.project_key, change.issue_type, new_status, change.new_status_id):
        return StartRequest(change.issue_key)
    decision = rule.decision_for(new_status, change.new_status_id)
    if decision is not None:
        return DecideApproval(
            ApprovalDecision(
                issue_key=change.issue_key,
                decision=decision,
                actor=change.actor,
                comment=f"status changed to {new_status} in Jira",
                source="webhook",
            ),
            actor_account_id=change.actor_account_id,
            change_id=change.change_id,
        )
    return Ignore(f"status change to {new_status} is not a trigger")


def _same_status(
    actual: str, actual_id: str | None, configured: str, configured_id: str = ""
) -> bool:
    """By id where both sides have one, else by name (any case); nothing configured: no."""
    if configured_id and actual_id:
        return actual_id == configured_id
    return bool(configured) and actual.casefold() == configured.casefold()


def actor_name(display_name: str | None, account_id: str | None) -> str:
    """Who did it, as Jira names them: display name, else account id, else "jira"."""
    return display_name or account_id or "jira"


def is_status_item(field: str, field_id: str | None) -> bool:
    """Whether a changelog item is the issue's status (webhook and REST changelog alike).

    fieldId is the stable key; `field` is a display name ("status", "Status") that a custom
    field may share. Older payloads carry no fieldId.
    """
    if field_id is not None:
        return field_id == "status"
    return field.casefold() == "status"


def _jql_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _jql_list(values: tuple[str, ...]) -> str:
    return ", ".join(_jql_string(v) for v in values)
