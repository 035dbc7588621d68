#!/usr/bin/env python3
"""Find and resolve requests stuck awaiting approval (docs/runbooks/stuck-approvals.md).

list             requests in AWAITING_APPROVAL, oldest first, with age and token expiry
remind KEY...    comment on the Jira issue again (--resend: the original approval text,
                 for an approval comment that never arrived)
decide KEY       approve or reject on the approvers' behalf, through the same code path
                 as the callback (one decision wins), with an audit note in Jira
cancel KEY       end the request: fail its approval task so the workflow's failure path
                 records the reason and tells Jira (--force: stop the execution instead)
"""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jira_workflow.adapters.executions import Executions
from jira_workflow.adapters.requests_table import RequestsTable
from jira_workflow.clock import utc_now
from jira_workflow.domain import messages
from jira_workflow.domain.errors import WorkflowError
from jira_workflow.domain.requests import (
    ApprovalDecision,
    Decision,
    RequestRecord,
    RequestState,
)
from jira_workflow.models.settings import Settings
from jira_workflow.services.approvals import Approvals
from workflow_tools.ops.common import (
    OpsError,
    Target,
    add_target_arguments,
    jira_client,
    print_table,
    progress,
    run,
    target_from_args,
)

CANCEL_ERROR = "OperatorCancelled"


@dataclass(frozen=True)
class PendingApproval:
    record: RequestRecord
    age_hours: float
    token_expires_at: int | None

    @property
    def token_expired(self) -> bool:
        return self.token_expires_at is not None and self.token_expires_at < time.time()


def _age_hours(timestamp: str, now: datetime) -> float:
    try:
        then = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    return round((now - then).total_seconds() / 3600, 1)


def find_pending(table: RequestsTable, older_than_hours: float = 0.0) -> list[PendingApproval]:
    now = datetime.now(UTC)
    found = []
    for record in table.list_by_state(RequestState.AWAITING_APPROVAL):
        age = _age_hours(record.updated_at, now)
        if age < older_than_hours:
            continue
        token = table.get_token(record.issue_key)
        found.append(PendingApproval(record, age, token.expires_at if token else None))
    return sorted(found, key=lambda p: p.record.updated_at)


def approval_text(environment: dict[str, str], issue_key: str) -> str:
    """The workflow's own approval comment, with the deployment's statuses and timeout.

    Read through the workflow's Settings, so an unset variable means the functions' default.
    """
    settings = Settings.from_env(environment)
    return messages.approval_needed(
        issue_key,
        settings.trigger.approve_status,
        settings.trigger.reject_status,
        wait_seconds=settings.approval_timeout_seconds,
    )


def remind(
    table: RequestsTable, jira: Any, environment: dict[str, str], issue_key: str, resend: bool
) -> str:
    record = table.get(issue_key)
    if record is None or record.state is not RequestState.AWAITING_APPROVAL:
        state = record.state.value if record else "no request"
        raise OpsError(f"{issue_key} is not awaiting approval ({state})")
    text = approval_text(environment, issue_key)
    if not resend:
        text = f"Reminder: this request is still waiting for a decision.\n{text}"
    comment_id: str = jira.add_comment(issue_key, text)
    if resend:
        table.update(issue_key, record.execution_name, utc_now(), approval_comment_at=utc_now())
    return comment_id


def decide(
    approvals: Approvals,
    jira: Any,
    issue_key: str,
    decision: Decision,
    operator: str,
    note: str,
) -> RequestRecord:
    """Decide through the callback's own service, then leave the audit trail in Jira."""
    actor = f"operations:{operator}"
    record = approvals.decide(
        ApprovalDecision(issue_key, decision, actor, comment=note, source="operator")
    )
    jira.add_comment(
        issue_key,
        f"Operations ({operator}) recorded the decision '{decision.value}' on behalf of the "
        f"approvers.\nReason: {note}",
    )
    return record


def cancel(
    table: RequestsTable,
    executions: Executions,
    sfn: Any,
    jira: Any,
    issue_key: str,
    operator: str,
    note: str,
    force: bool,
) -> str:
    """Fail the approval task (the workflow records and reports it), or stop the execution."""
    record = table.get(issue_key)
    if record is None or record.is_terminal:
        state = record.state.value if record else "no request"
        raise OpsError(f"{issue_key} has no request to cancel ({state})")
    cause = f"cancelled by operations ({operator}): {note}"
    token = table.get_token(issue_key)
    if token is not None and token.execution_name == record.execution_name and not force:
        executions.fail(token.task_token, CANCEL_ERROR, cause)
        table.delete_token(issue_key, record.execution_name)
        return "approval task failed: the workflow's failure path reports to Jira"
    execution_arn = record.execution_arn or executions.execution_arn(record.execution_name)
    sfn.stop_execution(executionArn=execution_arn, error=CANCEL_ERROR, cause=cause[:32768])
    table.update(
        issue_key, record.execution_name, utc_now(), state=RequestState.FAILED, failure_cause=cause
    )
    table.delete_token(issue_key, record.execution_name)
    jira.add_comment(issue_key, messages.failed(cause))
    return "execution stopped, request marked FAILED, Jira told"


# ---- command line ------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="approvals.py", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    add_target_arguments(parser)
    parser.add_argument("--jira-url", help="override the deployed JIRA_BASE_URL")
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="requests awaiting approval")
    listing.add_argument("--older-than-hours", type=float, default=0.0)
    reminder = commands.add_parser("remind", help="comment on the issues again")
    reminder.add_argument("issue_keys", nargs="*", metavar="KEY")
    reminder.add_argument("--older-than-hours", type=float, help="every pending one this old")
    reminder.add_argument("--resend", action="store_true", help="post the original approval text")
    for name in ("decide", "cancel"):
        sub = commands.add_parser(name, help=f"{name} on behalf of the approvers")
        sub.add_argument("issue_key", metavar="KEY")
        sub.add_argument("--note", required=True, help="why (goes to Jira and the record)")
        sub.add_argument("--operator", default=getpass.getuser(), help="who (default: you)")
        if name == "decide":
            sub.add_argument("decision", choices=[d.value for d in Decision])
        else:
            sub.add_argument("--force", action="store_true", help="stop the execution instead")
    return parser.parse_args(argv)


def build(target: Target) -> tuple[RequestsTable, Executions]:
    table = RequestsTable(target.client("dynamodb"), target.requests_table)
    executions = Executions(target.client("stepfunctions"), target.resolve_state_machine_arn())
    return table, executions


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    target = target_from_args(args)
    table = RequestsTable(target.client("dynamodb"), target.requests_table)
    if args.command == "list":
        pending = find_pending(table, args.older_than_hours)
        rows = [
            (
                p.record.issue_key,
                f"{p.age_hours}h",
                "yes" if p.record.approval_comment_at else "NO",
                "EXPIRED" if p.token_expired else ("none" if p.token_expires_at is None else "ok"),
                p.record.execution_name,
            )
            for p in pending
        ]
        print_table(rows, ("ISSUE", "WAITING", "COMMENTED", "TOKEN", "EXECUTION"))
        progress(f"{len(pending)} request(s) awaiting approval in {target.requests_table}")
        return 0
    jira = jira_client(target, args.jira_url)
    try:
        if args.command == "remind":
            keys = list(args.issue_keys)
            if args.older_than_hours is not None:
                keys += [p.record.issue_key for p in find_pending(table, args.older_than_hours)]
            if not keys:
                raise OpsError("name issue keys or --older-than-hours")
            environment = target.deployed_environment()
            for key in dict.fromkeys(keys):
                remind(table, jira, environment, key, args.resend)
                progress(f"{key}: {'approval comment re-sent' if args.resend else 'reminded'}")
            return 0
        table, executions = build(target)
        if args.command == "decide":
            approvals = Approvals(table, executions, lambda: jira, utc_now)
            decision = Decision(args.decision)
            decide(approvals, jira, args.issue_key, decision, args.operator, args.note)
            progress(f"{args.issue_key}: {decision.value} on behalf of approvers ({args.operator})")
            return 0
        outcome = cancel(
            table,
            executions,
            target.client("stepfunctions"),
            jira,
            args.issue_key,
            args.operator,
            args.note,
            args.force,
        )
        progress(f"{args.issue_key}: {outcome}")
        return 0
    except WorkflowError as exc:
        raise OpsError(f"{type(exc).__name__}: {exc}") from exc


if __name__ == "__main__":
    sys.exit(run(main))
