#!/usr/bin/env python3
"""Redrive failed request workflow executions (docs/runbooks/redrive.md).

  list   failed, timed-out and aborted executions in a window, with the state that failed
         and whether RedriveExecution can restart them
  run    redrive them (all in the window, one issue's, or named ARNs); --dry-run first

Redrive resumes at the unsuccessful state with the same input and ARN. An execution whose
error the workflow already handled would only fail again in its final state, so neither is
redriven: one that ended in WorkflowFailed (RecordFailure ran, Jira was told) is fixed and
resubmitted; one that ended in ReportingFailed reached its outcome (fulfilled, rejected,
timed out) and only telling Jira failed: never resubmit it, a resubmission is a new request
with a new Idempotency-Key and the external system would fulfil it twice.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jira_workflow.adapters.requests_table import RequestsTable
from workflow_tools.ops.common import (
    OpsError,
    Target,
    add_target_arguments,
    print_table,
    progress,
    run,
    target_from_args,
)

UNSUCCESSFUL = ("FAILED", "TIMED_OUT", "ABORTED")
HANDLED_FAILURE_ERROR = "RequestFailed"  # the ASL's WorkflowFailed state: already reported
REPORTING_FAILED_ERROR = "ReportingFailed"  # the ASL's ReportingFailed state: outcome stands
REDRIVE_WINDOW = timedelta(days=14)  # AWS keeps executions redrivable this long


@dataclass(frozen=True)
class FailedExecution:
    arn: str
    name: str
    status: str
    stopped: datetime
    error: str
    redrive_status: str
    reason: str

    @property
    def redrivable(self) -> bool:
        return self.redrive_status == "REDRIVABLE" and self.error not in (
            HANDLED_FAILURE_ERROR,
            REPORTING_FAILED_ERROR,
        )

    @property
    def advice(self) -> str:
        if self.error == REPORTING_FAILED_ERROR:
            return (
                "outcome stands, Jira was not told: see GET /requests/<issue> (reporting), "
                "tell Jira by hand; never resubmit"
            )
        if self.error == HANDLED_FAILURE_ERROR:
            return "handled failure: fix the cause, then resubmit the issue in Jira"
        if self.redrive_status != "REDRIVABLE":
            return self.reason or "not redrivable"
        return "redrive"


def unsuccessful_executions(
    sfn: Any, state_machine_arn: str, since: datetime
) -> Iterator[dict[str, Any]]:
    for status in UNSUCCESSFUL:
        paginator = sfn.get_paginator("list_executions")
        for page in paginator.paginate(stateMachineArn=state_machine_arn, statusFilter=status):
            for execution in page["executions"]:
                stopped = execution.get("stopDate") or execution["startDate"]
                if stopped >= since:
                    yield execution


def describe(sfn: Any, execution: dict[str, Any]) -> FailedExecution:
    detail = sfn.describe_execution(executionArn=execution["executionArn"])
    return FailedExecution(
        arn=execution["executionArn"],
        name=execution["name"],
        status=execution["status"],
        stopped=execution.get("stopDate") or execution["startDate"],
        error=str(detail.get("error", "")),
        # Older API versions and the emulator omit redriveStatus: let the API decide then.
        redrive_status=str(detail.get("redriveStatus", "REDRIVABLE")),
        reason=str(detail.get("redriveStatusReason", "")),
    )


def find_failed(sfn: Any, state_machine_arn: str, since: datetime) -> list[FailedExecution]:
    found = [describe(sfn, e) for e in unsuccessful_executions(sfn, state_machine_arn, since)]
    return sorted(found, key=lambda f: f.stopped)


def redrive(sfn: Any, executions: Sequence[FailedExecution], dry_run: bool) -> list[str]:
    """Redrive each redrivable execution; returns the ARNs redriven (or that would be)."""
    done = []
    for index, execution in enumerate(executions, start=1):
        if not execution.redrivable:
            progress(f"[{index}/{len(executions)}] skip {execution.name}: {execution.advice}")
            continue
        if not dry_run:
            sfn.redrive_execution(executionArn=execution.arn)
        verb = "would redrive" if dry_run else "redriven"
        progress(f"[{index}/{len(executions)}] {verb} {execution.name} ({execution.status})")
        done.append(execution.arn)
    return done


def execution_of_issue(target: Target, issue_key: str) -> str:
    """The issue's execution as its request records it (read through the workflow's adapter)."""
    record = RequestsTable(target.client("dynamodb"), target.requests_table).get(issue_key)
    if record is None or not record.execution_arn:
        raise OpsError(f"no execution recorded for {issue_key}")
    return record.execution_arn


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="redrive.py", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    add_target_arguments(parser)
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("list", "run"):
        sub = commands.add_parser(name)
        sub.add_argument("--since-hours", type=float, default=24.0, help="window (default 24)")
        if name == "run":
            sub.add_argument("--issue", action="append", default=[], help="only this issue's")
            sub.add_argument("--execution-arn", action="append", default=[])
            sub.add_argument("--dry-run", action="store_true")
            sub.add_argument("--max", type=int, default=50, help="stop after this many")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    target = target_from_args(args)
    sfn = target.client("stepfunctions")
    machine = target.resolve_state_machine_arn()
    since = datetime.now(UTC) - min(timedelta(hours=args.since_hours), REDRIVE_WINDOW)
    progress(f"looking for unsuccessful executions of {machine.rsplit(':', 1)[-1]}")
    failed = find_failed(sfn, machine, since)
    if args.command == "list":
        rows = [
            (f.name, f.status, f.stopped.isoformat(timespec="seconds"), f.error, f.advice)
            for f in failed
        ]
        print_table(rows, ("EXECUTION", "STATUS", "STOPPED", "ERROR", "NEXT STEP"))
        progress(f"{len(failed)} unsuccessful, {sum(f.redrivable for f in failed)} redrivable")
        return 0
    wanted = set(args.execution_arn) | {execution_of_issue(target, k) for k in args.issue}
    selected = [f for f in failed if not wanted or f.arn in wanted]
    if wanted - {f.arn for f in selected}:
        missing = ", ".join(sorted(wanted - {f.arn for f in selected}))
        raise OpsError(f"not unsuccessful in the window: {missing}")
    done = redrive(sfn, selected[: args.max], args.dry_run)
    progress(f"{len(done)} execution(s) {'would be ' if args.dry_run else ''}redriven")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
