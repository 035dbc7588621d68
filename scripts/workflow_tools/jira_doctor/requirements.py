"""What the deployed workflow needs of a Jira site, checked against what the bot read.

The moves are the ones the product's `JiraClient.transition_to` attempts (services/steps.py,
with the state machine's Catch of every task into RecordFailure):

- request_approval moves a new request from TRIGGER_STATUS to APPROVAL_PENDING_STATUS (if set);
- report_outcome moves a fulfilled request to DONE_STATUS (if set) from where the decision
  left it: APPROVE_STATUS (approved in Jira), the waiting status (approved through the
  callback or `approvals decide`, which do not move the issue) and, with auto-approval on,
  TRIGGER_STATUS; a rejection decided through the callback moves from the waiting status
  to REJECT_STATUS (one decided in Jira is already there: no transition);
- record_failure moves the issue to FAILED_STATUS (if set) from wherever the failing step
  left it: TRIGGER_STATUS, the waiting status, APPROVE_STATUS or REJECT_STATUS.

The waiting status is APPROVAL_PENDING_STATUS, or TRIGGER_STATUS when that is empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from jira_workflow.domain.trigger import TriggerRule
from workflow_tools.jira_doctor.site import (
    WORKFLOW_PERMISSIONS,
    WORKFLOW_READ_PERMISSIONS,
    ProjectSite,
)


class Outcome(StrEnum):
    OK = "OK"
    MISSING = "MISSING"
    UNKNOWN = "UNKNOWN"  # could not be read: not proven, so it fails like MISSING
    MANUAL = "MANUAL"  # no REST v3 operation can check it: a person compares by hand
    # A transition the workflow uses when it exists; without it Jira is told by comment and
    # the issue keeps its status (docs/runbooks/configure-jira.md): advice, not a failure.
    OPTIONAL = "OPTIONAL"


@dataclass(frozen=True)
class Finding:
    requirement: str
    outcome: Outcome
    fix: str = ""

    @property
    def fails(self) -> bool:
        return self.outcome in (Outcome.MISSING, Outcome.UNKNOWN)


@dataclass(frozen=True)
class Move:
    """One transition the product performs: from a status to a status, and when."""

    from_status: str
    to_status: str
    why: str
    # Required: the runbook's workflow has it and people rely on the status following.
    required: bool = True


_PERMISSION_NAMES = {
    "BROWSE_PROJECTS": "Browse projects",
    "ADD_COMMENTS": "Add comments",
    "TRANSITION_ISSUES": "Transition issues",
}


def required_statuses(rule: TriggerRule) -> list[tuple[str, str]]:
    """(setting, status) for every status the workflow names; empty optional ones drop out."""
    named = [
        ("TRIGGER_STATUS", rule.trigger_status),
        ("APPROVAL_PENDING_STATUS", rule.approval_pending_status),
        ("APPROVE_STATUS", rule.approve_status),
        ("REJECT_STATUS", rule.reject_status),
        ("DONE_STATUS", rule.done_status),
        ("FAILED_STATUS", rule.failed_status),
    ]
    return [(setting, status) for setting, status in named if status]


def required_moves(rule: TriggerRule, auto_approve: bool) -> list[Move]:
    """Exactly the transitions `transition_to` attempts, deduplicated, in life-cycle order."""
    start, pending = rule.trigger_status, rule.approval_pending_status
    waiting = pending or start
    approved, rejected = rule.approve_status, rule.reject_status
    moves: list[Move] = []
    if pending:
        moves.append(Move(start, pending, "request_approval: a new request waits for approval"))
    moves.append(Move(waiting, approved, "people approve in Jira"))
    moves.append(Move(waiting, rejected, "people reject in Jira; report_outcome: rejected"))
    if rule.done_status:
        moves.append(Move(approved, rule.done_status, "report_outcome: approved in Jira"))
        moves.append(
            Move(waiting, rule.done_status, "report_outcome: approved through the callback", False)
        )
        if auto_approve:
            moves.append(Move(start, rule.done_status, "report_outcome: auto-approved", False))
    if rule.failed_status:
        moves.append(Move(approved, rule.failed_status, "record_failure: fulfilment failed"))
        for where, when in (
            (start, "a step before approval failed"),
            (waiting, "approval or a callback-approved fulfilment failed"),
            (rejected, "reporting a rejection failed"),
        ):
            moves.append(Move(where, rule.failed_status, f"record_failure: {when}", False))
    return _distinct(moves)


def _distinct(moves: Sequence[Move]) -> list[Move]:
    """One move per (from, to), with every reason; a move into its own status is no move."""
    merged: dict[tuple[str, str], Move] = {}
    for move in moves:
        if move.from_status.casefold() == move.to_status.casefold():
            continue
        key = (move.from_status.casefold(), move.to_status.casefold())
        seen = merged.get(key)
        merged[key] = (
            move
            if seen is None
            else Move(
                seen.from_status,
                seen.to_status,
                f"{seen.why}; {move.why}",
                seen.required or move.required,
            )
        )
    return list(merged.values())


def check_site(
    rule: TriggerRule,
    auto_approve: bool,
    projects: Sequence[ProjectSite],
    webhook_url: str,
    bot: str,
) -> list[Finding]:
    """Every requirement, in the order a Jira admin would fix them."""
    findings: list[Finding] = []
    if not rule.project_keys:
        findings.append(
            Finding(
                "TRIGGER_PROJECT_KEYS names the trigger projects",
                Outcome.MISSING,
                "set trigger_project_keys in the environment's tfvars and apply",
            )
        )
    for project in projects:
        findings.extend(check_project(rule, auto_approve, project, bot))
    findings.append(webhook_finding(webhook_url))
    return findings


def check_project(
    rule: TriggerRule, auto_approve: bool, project: ProjectSite, bot: str
) -> list[Finding]:
    key = project.key
    if not project.found:
        return [
            Finding(
                f"{key}: project exists and the bot can browse it",
                Outcome.MISSING,
                f"create project {key}, or grant {bot} Browse projects in it "
                "(Jira answers 404 for both); or fix trigger_project_keys",
            )
        ]
    findings = [Finding(f"{key}: project exists and the bot can browse it", Outcome.OK)]
    for permission in WORKFLOW_PERMISSIONS:
        have = project.permissions.get(permission, False)
        findings.append(
            Finding(
                f"{key}: bot has {permission}",
                Outcome.OK if have else Outcome.MISSING,
                ""
                if have
                else f"Project settings > Permissions: grant "
                f"{_PERMISSION_NAMES[permission]} to {bot}",
            )
        )
    for issue_type in _checked_issue_types(rule, project, findings):
        findings.extend(_check_issue_type(rule, auto_approve, project, issue_type, bot))
    return findings


def _checked_issue_types(
    rule: TriggerRule, project: ProjectSite, findings: list[Finding]
) -> list[str]:
    """The configured issue types the project has (a missing one is a finding), or all."""
    present = {t.name.casefold(): t.name for t in project.issue_types}
    if not rule.issue_types:
        return [t.name for t in project.issue_types]
    checked = []
    for wanted in rule.issue_types:
        found = present.get(wanted.casefold())
        findings.append(
            Finding(
                f"{project.key}: issue type {wanted!r} exists",
                Outcome.OK if found else Outcome.MISSING,
                ""
                if found
                else f"add {wanted!r} to {project.key}'s issue types "
                "(Project settings > Issue types), or fix trigger_issue_types",
            )
        )
        if found:
            checked.append(found)
    return checked


def _check_issue_type(
    rule: TriggerRule, auto_approve: bool, project: ProjectSite, issue_type: str, bot: str
) -> list[Finding]:
    where = f"{project.key} / {issue_type}"
    listed = next(t for t in project.issue_types if t.name == issue_type)
    have = {s.casefold() for s in listed.statuses}
    findings = []
    for setting, status in required_statuses(rule):
        ok = status.casefold() in have
        findings.append(
            Finding(
                f"{where}: status {status!r} ({setting})",
                Outcome.OK if ok else Outcome.MISSING,
                ""
                if ok
                else f"add status {status!r} to the workflow of {where}, "
                f"or set {setting.lower()} to one of its statuses",
            )
        )
    workflow = project.workflows.get(issue_type)
    if workflow is None:
        readable = any(project.permissions.get(p, False) for p in WORKFLOW_READ_PERMISSIONS)
        findings.extend(
            Finding(
                f"{where}: transition {m.from_status} -> {m.to_status} ({m.why})",
                Outcome.UNKNOWN,
                (
                    "Jira returned no workflow for it; "
                    if readable
                    else f"grant {bot} View (read-only) workflow in {project.key} so this "
                    "check can read it, or check by hand: "
                )
                + f"the workflow needs a transition from {m.from_status} to {m.to_status}",
            )
            for m in required_moves(rule, auto_approve)
        )
        return findings
    for move in required_moves(rule, auto_approve):
        ok = workflow.can_move(move.from_status, move.to_status)
        missing = Outcome.MISSING if move.required else Outcome.OPTIONAL
        add = (
            f"in workflow {workflow.name!r} add a transition from {move.from_status} to "
            f"{move.to_status} (or let any status move to {move.to_status}); {bot} must be "
            "allowed to perform it"
        )
        findings.append(
            Finding(
                f"{where}: transition {move.from_status} -> {move.to_status} ({move.why})",
                Outcome.OK if ok else missing,
                ""
                if ok
                else add
                if move.required
                else f"without it Jira is told by comment and the issue keeps its status; {add}",
            )
        )
    return findings


def approver_group_finding(group: str, exists: bool | None) -> Finding:
    """Status changes decide only when an approver group's member makes them."""
    requirement = f"approver group {group!r} exists (JIRA_APPROVER_GROUP)"
    if not group:
        return Finding(
            "JIRA_APPROVER_GROUP names who may decide by moving an issue",
            Outcome.MISSING,
            "set jira_approver_group in the environment's tfvars and apply; without it any "
            "user who can move an issue decides it",
        )
    if exists is None:
        return Finding(requirement, Outcome.UNKNOWN, "grant the bot Browse users and groups")
    if not exists:
        return Finding(
            requirement,
            Outcome.MISSING,
            f"create the group {group!r} in Jira and add the approvers; until then every "
            "status change to a decision is refused",
        )
    return Finding(requirement, Outcome.OK)


def webhook_finding(webhook_url: str) -> Finding:
    """System webhooks are not readable through the REST API v3 with the bot's basic auth
    (`GET /webhook` lists only an app's dynamic webhooks), so a person checks this one."""
    return Finding(
        "Jira system webhook delivers issue created/updated to this API",
        Outcome.MANUAL,
        "Settings > System > WebHooks: one enabled webhook whose URL is exactly "
        f"{webhook_url or '<the webhook_url Terraform output>'} (events: issue created, "
        "updated; JQL: the trigger projects and issue types; exclude body unchecked); "
        "not readable with the bot's credentials through the REST API v3",
    )
