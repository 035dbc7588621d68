"""What EventBridge does with Step Functions' status changes, which moto never emits.

In AWS, a Standard workflow execution that changes status puts a "Step Functions Execution
Status Change" event on the account's default bus, and every enabled rule whose pattern
matches it delivers it to its targets; a Lambda target is invoked asynchronously, retried
by Lambda when the function errors. moto 5.2.5 emits no such event, and its rules cannot
deliver to Lambda at all. `moto_patches` installs the hooks; this module builds the event
(the shape in tests/fixtures/eventbridge/) and delivers it.

Not emulated: RUNNING events (nothing here listens to them), input transformers on Lambda
targets, Lambda's on-failure destinations (a failed delivery is logged), and EventBridge's
own delivery retries (an in-process invocation always arrives).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any, cast

LOG = logging.getLogger(__name__)
SOURCE = "aws.states"
DETAIL_TYPE = "Step Functions Execution Status Change"
# Statuses a closed execution reports (AWS also sends RUNNING, which nothing here reads).
CLOSED_STATUSES = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})
# Lambda retries a failed asynchronous invocation this often unless configured otherwise.
DEFAULT_ASYNC_RETRIES = 2
# AWS waits about a minute, then two, between those retries; locally a moment will do.
RETRY_PAUSE_SECONDS = 1.0


def status_change_event(execution: Any) -> dict[str, Any]:
    """The event Step Functions puts on the bus for a moto parser `Execution`."""
    status = execution.exec_status.value
    succeeded = status == "SUCCEEDED"
    detail = {
        "executionArn": execution.exec_arn,
        "stateMachineArn": execution.state_machine_arn,
        "name": execution.name,
        "status": status,
        "startDate": _epoch_millis(execution.start_date),
        "stopDate": _epoch_millis(execution.stop_date),
        "input": json.dumps(execution.input_data),
        "inputDetails": {"included": True},
        "output": json.dumps(execution.output) if succeeded else None,
        "outputDetails": {"included": True} if succeeded else None,
        "error": execution.error or None,
        "cause": execution.cause or None,
        "redriveCount": 0,
        "redriveStatus": "NOT_REDRIVABLE" if succeeded else "REDRIVABLE",
    }
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": DETAIL_TYPE,
        "source": SOURCE,
        "account": execution.account_id,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": execution.region_name,
        "resources": [execution.exec_arn],
        "detail": detail,
    }


def put_on_default_bus(event: dict[str, Any]) -> int:
    """Deliver `event` to the targets of every enabled, matching rule on the default bus
    of its account and region; returns how many rules matched."""
    from moto.events.models import events_backends
    from moto.events.utils import EventMessageType

    backend = events_backends[event["account"]][event["region"]]
    bus = backend.event_buses.get("default")
    matched = 0
    for rule in list(bus.rules.values()) if bus else []:
        message = cast("EventMessageType", event)
        if rule.state == "ENABLED" and rule.event_pattern.matches_event(message):
            matched += 1
            rule.send_to_targets(message)
    return matched


def invoke_lambda_target(target: dict[str, Any], event: dict[str, Any], account: str) -> None:
    """EventBridge invokes a Lambda target asynchronously; Lambda retries it on error."""
    from moto.awslambda.models import lambda_backends

    arn = target["Arn"]
    region = arn.split(":")[3]
    backend = lambda_backends[account][region]
    function = backend.get_function(arn)
    payload = json.loads(target["Input"]) if target.get("Input") else event
    retries = _async_retries(backend, function.function_name)
    threading.Thread(
        target=_invoke_with_retries,
        args=(function, payload, retries),
        daemon=True,
        name=f"events-{function.function_name}",
    ).start()


def _invoke_with_retries(function: Any, payload: dict[str, Any], retries: int) -> None:
    answer = ""
    for attempt in range(retries + 1):
        try:
            answer, errored, _ = function._invoke_lambda(event=payload)
        except Exception:  # a broken handler must not kill the emulator's thread
            LOG.exception("event delivery to %s raised", function.function_name)
            errored = True
        if not errored:
            return
        if attempt < retries:
            time.sleep(RETRY_PAUSE_SECONDS)
    LOG.warning(
        "event delivery to %s failed %d times: %s",
        function.function_name,
        retries + 1,
        str(answer)[:500],
    )


def _async_retries(backend: Any, function_name: str) -> int:
    try:
        config = backend.get_function_event_invoke_config(function_name)
    except Exception:  # none configured: Lambda's default
        return DEFAULT_ASYNC_RETRIES
    return int(config.get("MaximumRetryAttempts", DEFAULT_ASYNC_RETRIES))


def epoch_seconds(event_time: Any) -> Any:
    """moto's own targets (SQS, logs) expect `time` in epoch seconds, as its PutEvents sets it."""
    if isinstance(event_time, str):
        return datetime.strptime(event_time, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    return event_time


def _epoch_millis(moment: datetime | None) -> int | None:
    return int(moment.timestamp() * 1000) if moment is not None else None
