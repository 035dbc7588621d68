#!/usr/bin/env python3
"""Stop and resume new request executions, for rollbacks (docs/runbooks/rollback.md).

  status   intake state (webhook route throttle, reconciler schedule) and in-flight counts
  stop     throttle POST /jira/webhook to zero (Jira gets 429 and retries later) and
           disable the reconciler schedule: nothing new starts, in-flight work goes on
  drain    wait until no execution is working (approval waits may stay: they survive an
           apply because function names and the token table do not change)
  resume   undo stop: webhook back to the stage-wide throttle, schedule enabled; the
           reconciler then starts whatever Jira gave up retrying

`terraform apply` also undoes stop for the schedule (reconciler_enabled), not for the
webhook throttle override: always finish with `resume`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from workflow_tools.ops.common import (
    OpsError,
    Target,
    add_target_arguments,
    progress,
    run,
    target_from_args,
)

WEBHOOK_METHOD_PATH = "/~1jira~1webhook/POST"  # stage patch path: "/" in a resource is ~1
# GetStage keys method settings by "jira/webhook/POST"; the emulator keeps the escaped path
WEBHOOK_SETTINGS_KEYS = ("jira/webhook/POST", "~1jira~1webhook/POST")
SCHEDULE_FIELDS = (
    "Name",
    "GroupName",
    "ScheduleExpression",
    "ScheduleExpressionTimezone",
    "StartDate",
    "EndDate",
    "Description",
    "FlexibleTimeWindow",
    "Target",
    "KmsKeyArn",
    "ActionAfterCompletion",
)


@dataclass(frozen=True)
class Api:
    rest_api_id: str
    stage: str


def find_api(target: Target) -> Api:
    apigateway = target.client("apigateway")
    for page in apigateway.get_paginator("get_rest_apis").paginate():
        for api in page["items"]:
            if api["name"] == target.prefix:
                return Api(api["id"], target.environment)
    raise OpsError(f"REST API {target.prefix} not found")


def webhook_throttle(target: Target, api: Api) -> tuple[float, int] | None:
    """The webhook method's own throttle override, or None when it follows the stage."""
    stage = target.client("apigateway").get_stage(restApiId=api.rest_api_id, stageName=api.stage)
    all_settings = stage.get("methodSettings", {})
    settings = next((all_settings[k] for k in WEBHOOK_SETTINGS_KEYS if k in all_settings), None)
    if not settings:
        return None
    return float(settings.get("throttlingRateLimit", -1)), int(
        settings.get("throttlingBurstLimit", -1)
    )


def stage_throttle(target: Target, api: Api) -> tuple[float, int]:
    stage = target.client("apigateway").get_stage(restApiId=api.rest_api_id, stageName=api.stage)
    settings = stage.get("methodSettings", {}).get("*/*", {})
    return float(settings.get("throttlingRateLimit", 10000)), int(
        settings.get("throttlingBurstLimit", 5000)
    )


def set_webhook_throttle(target: Target, api: Api, rate: float, burst: int) -> None:
    target.client("apigateway").update_stage(
        restApiId=api.rest_api_id,
        stageName=api.stage,
        patchOperations=[
            {
                "op": "replace",
                "path": f"{WEBHOOK_METHOD_PATH}/throttling/rateLimit",
                "value": str(rate),
            },
            {
                "op": "replace",
                "path": f"{WEBHOOK_METHOD_PATH}/throttling/burstLimit",
                "value": str(burst),
            },
        ],
    )


def schedule_state(target: Target) -> str | None:
    scheduler = target.client("scheduler")
    try:
        return str(scheduler.get_schedule(Name=target.schedule_name)["State"])
    except scheduler.exceptions.ResourceNotFoundException:
        return None


def set_schedule_state(target: Target, state: str) -> bool:
    """UpdateSchedule replaces the whole schedule: resend every field we read."""
    scheduler = target.client("scheduler")
    try:
        current = scheduler.get_schedule(Name=target.schedule_name)
    except scheduler.exceptions.ResourceNotFoundException:
        return False
    fields = {k: current[k] for k in SCHEDULE_FIELDS if current.get(k) not in (None, "")}
    scheduler.update_schedule(**fields, State=state)
    return True


def in_flight(target: Target) -> tuple[int, int]:
    """(running executions, of which waiting for an approval decision)."""
    sfn = target.client("stepfunctions")
    machine = target.resolve_state_machine_arn()
    running = 0
    for page in sfn.get_paginator("list_executions").paginate(
        stateMachineArn=machine, statusFilter="RUNNING"
    ):
        running += len(page["executions"])
    waiting = _count_awaiting_approval(target)
    return running, min(waiting, running)


def _count_awaiting_approval(target: Target) -> int:
    dynamodb = target.client("dynamodb")
    count = 0
    kwargs: dict[str, Any] = {
        "TableName": target.requests_table,
        "IndexName": "by_state",
        "KeyConditionExpression": "#s = :s",
        "ExpressionAttributeNames": {"#s": "state"},
        "ExpressionAttributeValues": {":s": {"S": "AWAITING_APPROVAL"}},
        "Select": "COUNT",
    }
    while True:
        page = dynamodb.query(**kwargs)
        count += int(page.get("Count", 0))
        if "LastEvaluatedKey" not in page:
            return count
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def stop_intake(target: Target) -> None:
    api = find_api(target)
    set_webhook_throttle(target, api, 0, 0)
    progress("POST /jira/webhook throttled to 0: Jira receives 429 and retries")
    if set_schedule_state(target, "DISABLED"):
        progress(f"schedule {target.schedule_name} disabled")
    else:
        progress(f"schedule {target.schedule_name} not found: nothing to disable")


def resume_intake(target: Target) -> None:
    api = find_api(target)
    rate, burst = stage_throttle(target, api)
    set_webhook_throttle(target, api, rate, burst)
    progress(f"POST /jira/webhook back to the stage throttle ({rate:g}/s, burst {burst})")
    if set_schedule_state(target, "ENABLED"):
        progress(f"schedule {target.schedule_name} enabled: it picks up missed webhooks")


def drain(target: Target, timeout_seconds: float, poll_seconds: float) -> int:
    deadline = time.monotonic() + timeout_seconds
    while True:
        running, waiting = in_flight(target)
        working = running - waiting
        progress(f"{running} running, {waiting} waiting for approval, {working} working")
        if working <= 0:
            return 0
        if time.monotonic() >= deadline:
            raise OpsError(f"{working} execution(s) still working after {timeout_seconds:g}s")
        time.sleep(poll_seconds)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="intake.py", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    add_target_arguments(parser)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("status")
    commands.add_parser("stop")
    commands.add_parser("resume")
    drainer = commands.add_parser("drain")
    drainer.add_argument("--timeout-minutes", type=float, default=30.0)
    drainer.add_argument("--poll-seconds", type=float, default=15.0)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    target = target_from_args(args)
    if args.command == "stop":
        stop_intake(target)
    elif args.command == "resume":
        resume_intake(target)
    elif args.command == "drain":
        return drain(target, args.timeout_minutes * 60, args.poll_seconds)
    else:
        api = find_api(target)
        throttle = webhook_throttle(target, api)
        stopped = throttle is not None and throttle[0] == 0
        running, waiting = in_flight(target)
        print(f"webhook route: {'STOPPED (throttled to 0)' if stopped else 'open'}")
        print(f"reconciler schedule: {schedule_state(target) or 'not found'}")
        print(f"executions: {running} running, {waiting} waiting for approval")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
