#!/usr/bin/env python3
"""Find and resolve requests stuck awaiting approval (docs/runbooks/stuck-approvals.md).

list             requests in AWAITING_APPROVAL, oldest first, with age and token expiry
remind KEY...    comment on the Jira issue again (--resend: the original approval text,
                 for an approval comment that never arrived)
decide KEY       approve or reject on the approvers' behalf, through the same code path
                 as the callback (one decision wins), with an audit note in Jira
cancel KEY       end the request: fail its approval task so the workflow's failure path
                 records the reason and tells Jira (--force: stop the execution instead)

Each command is a call to the workflow's Operations service, built by its own composition
root from the deployed functions' settings: one clock, one secret parser, one set of defaults.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence

from jira_workflow.domain.errors import WorkflowError
from jira_workflow.domain.requests import Decision
from workflow_tools.ops.common import (
    OpsError,
    add_target_arguments,
    operator_container,
    print_table,
    progress,
    require_jira,
    run,
    target_from_args,
)


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


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    target = target_from_args(args)
    container = operator_container(target, args.jira_url)
    operations = container.operations
    if args.command == "list":
        pending = operations.pending(args.older_than_hours)
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
        progress(
            f"{len(pending)} request(s) awaiting approval in {container.settings.requests_table}"
        )
        return 0
    require_jira(container)
    try:
        if args.command == "remind":
            keys = list(args.issue_keys)
            if args.older_than_hours is not None:
                keys += [p.record.issue_key for p in operations.pending(args.older_than_hours)]
            if not keys:
                raise OpsError("name issue keys or --older-than-hours")
            for key in dict.fromkeys(keys):
                operations.remind(key, args.resend)
                progress(f"{key}: {'approval comment re-sent' if args.resend else 'reminded'}")
            return 0
        if args.command == "decide":
            decision = Decision(args.decision)
            operations.decide_on_behalf(args.issue_key, decision, args.operator, args.note)
            progress(f"{args.issue_key}: {decision.value} on behalf of approvers ({args.operator})")
            return 0
        outcome = operations.cancel(args.issue_key, args.operator, args.note, args.force)
        progress(f"{args.issue_key}: {outcome}")
        return 0
    except WorkflowError as exc:
        raise OpsError(f"{type(exc).__name__}: {exc}") from exc


if __name__ == "__main__":
    sys.exit(run(main))
