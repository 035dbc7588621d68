#!/usr/bin/env python3
"""Play the product's stories on the local stack and check each ended as expected.

Starts the AWS emulator, applies the real Terraform into it, runs a fake Jira that sends
signed webhooks to the API, then: an approved request (Jira comment asking for approval,
the approver moves the issue, fulfilment, outcome comment and Done), a rejected one and an
auto-approved one. Prints a timeline per request and the artifacts written to S3.
Exit status 0 only if every story ended as expected.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from local_cloud.driver import LocalStackSession, default_state_dir
from workflow_tools import build_lambda

AUTO_APPROVE_MAX_RISK = 20  # the demo's rule: risk at or below 20 needs no human


@dataclass
class StoryResult:
    name: str
    issue_key: str = ""
    ok: bool = False
    reason: str = ""
    execution_arn: str = ""
    marks: dict[str, float] = field(default_factory=dict)


class Narrator:
    """Progress lines with the time since the demo started."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def say(self, message: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f}s] {message}", flush=True)


def file_request(stack: LocalStackSession, summary: str, risk: int) -> str:
    return stack.jira.create_issue(
        "OPS",
        summary,
        issue_type="Service Request",
        status="Submitted",
        description=f"{summary}. Needed by Friday for a new starter.",
        labels=[f"risk-{risk}"],
        reporter="Alice Reporter",
    )


def story_approved(stack: LocalStackSession, say: Callable[[str], None]) -> StoryResult:
    result = StoryResult("approved by a person in Jira")
    key = result.issue_key = file_request(stack, "Laptop for a new starter", risk=80)
    say(f"{key} created in Jira (risk 80); Jira sends the signed webhook")
    started = time.monotonic()
    pending = stack.wait_for_state(key, {"AWAITING_APPROVAL", "FAILED"})
    result.execution_arn = pending["executionArn"]
    say(f"{key} execution started: {pending['executionArn'].rsplit(':', 1)[-1]}")
    comment = stack.wait_for_comment(key, "approv")
    result.marks["webhook→awaiting approval"] = time.monotonic() - started
    say(f"{key} Jira comment: {comment.splitlines()[0][:90]!r}")
    decided = time.monotonic()
    stack.jira.transition(key, "Approved", actor="Bob Approver")
    say(f"{key} Bob Approver moves the issue to Approved (Jira sends issue_updated)")
    done = stack.wait_for_state(key, {"FULFILLED", "FAILED", "REJECTED"}, timeout=90)
    execution = stack.wait_for_execution(result.execution_arn)
    result.marks["decision→SUCCEEDED"] = time.monotonic() - decided
    result.marks["webhook→decision→SUCCEEDED"] = time.monotonic() - started
    outcome = stack.wait_for_comment(key, "fulfil")
    say(f"{key} execution {execution['status']}; Jira comment: {outcome.splitlines()[0][:80]!r}")
    say(f"{key} Jira status: {stack.jira.status(key)}")
    result.ok = (
        done["state"] == "FULFILLED"
        and execution["status"] == "SUCCEEDED"
        and stack.jira.status(key) == "Done"
    )
    result.reason = f"state {done['state']}, execution {execution['status']}"
    return result


def story_rejected(stack: LocalStackSession, say: Callable[[str], None]) -> StoryResult:
    result = StoryResult("rejected by a person in Jira")
    key = result.issue_key = file_request(stack, "Admin rights on production", risk=90)
    say(f"{key} created in Jira (risk 90)")
    started = time.monotonic()
    pending = stack.wait_for_state(key, {"AWAITING_APPROVAL", "FAILED"})
    result.execution_arn = pending["executionArn"]
    stack.wait_for_comment(key, "approv")
    result.marks["webhook→awaiting approval"] = time.monotonic() - started
    decided = time.monotonic()
    stack.jira.transition(key, "Rejected", actor="Carol Approver")
    say(f"{key} Carol Approver moves the issue to Rejected")
    done = stack.wait_for_state(key, {"REJECTED", "FAILED", "FULFILLED"}, timeout=90)
    execution = stack.wait_for_execution(result.execution_arn)
    result.marks["decision→SUCCEEDED"] = time.monotonic() - decided
    result.marks["webhook→decision→SUCCEEDED"] = time.monotonic() - started
    comment = stack.wait_for_comment(key, "rejected by")
    say(f"{key} execution {execution['status']}; Jira comment: {comment.splitlines()[0][:80]!r}")
    result.ok = done["state"] == "REJECTED" and execution["status"] == "SUCCEEDED"
    result.reason = f"state {done['state']}, execution {execution['status']}"
    return result


def story_auto_approved(stack: LocalStackSession, say: Callable[[str], None]) -> StoryResult:
    result = StoryResult("auto-approved (low risk)")
    key = result.issue_key = file_request(stack, "Second monitor", risk=10)
    say(f"{key} created in Jira (risk 10, at or below {AUTO_APPROVE_MAX_RISK}: no human needed)")
    started = time.monotonic()
    done = stack.wait_for_state(key, {"FULFILLED", "FAILED", "AWAITING_APPROVAL"}, timeout=90)
    result.execution_arn = done["executionArn"]
    execution = stack.wait_for_execution(result.execution_arn)
    result.marks["webhook→SUCCEEDED"] = time.monotonic() - started
    say(f"{key} execution {execution['status']}; Jira status: {stack.jira.status(key)}")
    # The runbook's workflow has no Submitted > Done: Jira is told by the comment.
    outcome = stack.wait_for_comment(key, "fulfil")
    say(f"{key} Jira comment: {outcome.splitlines()[0][:80]!r}")
    result.ok = done["state"] == "FULFILLED" and execution["status"] == "SUCCEEDED"
    result.reason = f"state {done['state']}, execution {execution['status']}"
    return result


def print_timeline(stack: LocalStackSession, result: StoryResult) -> None:
    print(f"\n  {result.issue_key}: {result.name}")
    if result.execution_arn:
        for entry in stack.timeline(result.execution_arn):
            mark = "" if entry.outcome in ("ok", "end") else f"  ({entry.outcome})"
            print(
                f"    {entry.started:%H:%M:%S.%f}"[:-3] + f"  {entry.state:<24}"
                f"{entry.seconds:7.2f}s{mark}"
            )
    for name, seconds in result.marks.items():
        print(f"    {name}: {seconds:.2f}s")
    for artifact in stack.artifacts(f"requests/{result.issue_key}/"):
        print(f"    s3://…/{artifact}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=default_state_dir("demo"),
        help="git-ignored folder for this run's Terraform data and logs",
    )
    parser.add_argument("--terraform-dir", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    narrator = Narrator()
    say = narrator.say
    say("building the Lambda packages for this machine (cached when unchanged)")
    build_lambda.build_for_emulator()
    stack = LocalStackSession(
        args.state_dir,
        terraform_variables={"auto_approve_max_risk": AUTO_APPROVE_MAX_RISK},
        terraform_dir=args.terraform_dir,
    )
    say(
        "starting the fake Jira, the AWS emulator, and applying terraform/ into it "
        f"(logs: {stack.log_file})"
    )
    try:
        info = stack.start()
    except RuntimeError as error:
        print(f"error: the local stack did not start: {error}", file=sys.stderr)
        stack.stop()
        return 1
    say(f"stack up, {info['apply_seconds']}s into terraform apply; API {info['api_url']}")
    results: list[StoryResult] = []
    try:
        for story in (story_approved, story_rejected, story_auto_approved):
            say(f"--- story: {story.__name__.removeprefix('story_').replace('_', ' ')}")
            try:
                results.append(story(stack, say))
            except TimeoutError as error:
                results.append(StoryResult(story.__name__, reason=str(error)))
                say(f"story did not finish: {error}")
        print("\nTimelines (from GetExecutionHistory) and artifacts:")
        for result in results:
            print_timeline(stack, result)
    finally:
        stack.stop()
    failed = [r for r in results if not r.ok]
    print()
    for result in results:
        print(
            f"  {'PASS' if result.ok else 'FAIL'}  {result.issue_key or '-':<7} "
            f"{result.name}: {result.reason}"
        )
    say(f"demo finished: {len(results) - len(failed)}/{len(results)} stories as expected")
    if failed:
        print(
            f"error: {failed[0].name} did not end as expected ({failed[0].reason})", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
