"""Step Functions status changes reach EventBridge rules as in AWS (patches
execution_status_change_events, rules_invoke_lambda_targets, stop_execution_keeps_cause,
stop_wakes_waiting_tasks, stopped_executions_stay_aborted):
the emulator's closed executions put the documented event on the default bus, and a rule
delivers it to a Lambda target (asynchronously) and to its other targets."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local_cloud.test_support import ROLE_ARN, client, create_sample_function, running_emulator
from tests.support.eventbridge_events import status_change

CLOSING = ["FAILED", "TIMED_OUT", "ABORTED"]


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with running_emulator(tmp_path_factory.mktemp("events") / "emulator.log") as endpoints:
        yield endpoints


def machine(endpoints: dict[str, Any], name: str, definition: dict[str, Any]) -> str:
    arn: str = client(endpoints, "stepfunctions").create_state_machine(
        name=name, definition=json.dumps(definition), roleArn=ROLE_ARN
    )["stateMachineArn"]
    return arn


def delivered(log: Path, count: int, timeout: float = 30) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = log.read_text().splitlines() if log.exists() else []
        if len(lines) >= count:
            return [json.loads(line) for line in lines]
        time.sleep(0.1)
    raise AssertionError(f"{count} deliveries expected in {timeout}s, got {log.read_text()!r}")


def test_closed_executions_reach_a_lambda_rule_target_as_aws_delivers_them(
    emulator: dict[str, Any], tmp_path: Path
) -> None:
    log = tmp_path / "events.jsonl"
    function = create_sample_function(
        emulator, "record_event", "sample_fns.handlers.record_event", {"EVENT_LOG": str(log)}
    )
    waits = machine(
        emulator,
        "waits",
        {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}},
    )
    times_out = machine(
        emulator,
        "times-out",
        {
            "StartAt": "W",
            "TimeoutSeconds": 1,
            "States": {"W": {"Type": "Wait", "Seconds": 30, "End": True}},
        },
    )
    fails = machine(
        emulator,
        "fails",
        {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "it broke"}}},
    )
    succeeds = machine(
        emulator, "succeeds", {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    )
    machines = [waits, times_out, fails, succeeds]
    events = client(emulator, "events")
    events.put_rule(
        Name="executions-ended",
        EventPattern=json.dumps(
            {
                "source": ["aws.states"],
                "detail-type": ["Step Functions Execution Status Change"],
                "detail": {"status": CLOSING, "stateMachineArn": machines},
            }
        ),
    )
    queue = client(emulator, "sqs").create_queue(QueueName="ended")["QueueUrl"]
    queue_arn = client(emulator, "sqs").get_queue_attributes(
        QueueUrl=queue, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    events.put_targets(
        Rule="executions-ended",
        Targets=[{"Id": "finaliser", "Arn": function}, {"Id": "queue", "Arn": queue_arn}],
    )
    sfn = client(emulator, "stepfunctions")
    started = {
        arn: sfn.start_execution(stateMachineArn=arn, name="run-1", input='{"issueKey": "OPS-1"}')[
            "executionArn"
        ]
        for arn in machines
    }
    sfn.stop_execution(executionArn=started[waits], error="Wedged", cause="stopped by on-call")

    received = {e["detail"]["status"]: e for e in delivered(log, 3)}

    assert sorted(received) == sorted(CLOSING)  # SUCCEEDED does not match the pattern
    sample = status_change(started[fails], "FAILED", execution_input={"issueKey": "OPS-1"})
    for event in received.values():
        assert set(event) == set(sample)
        assert set(event["detail"]) == set(sample["detail"])
        assert event["source"] == "aws.states"
        assert json.loads(event["detail"]["input"]) == {"issueKey": "OPS-1"}
        assert event["resources"] == [event["detail"]["executionArn"]]
    assert received["ABORTED"]["detail"]["executionArn"] == started[waits]
    assert (received["ABORTED"]["detail"]["error"], received["ABORTED"]["detail"]["cause"]) == (
        "Wedged",
        "stopped by on-call",
    )
    assert (received["FAILED"]["detail"]["error"], received["FAILED"]["detail"]["cause"]) == (
        "Boom",
        "it broke",
    )
    assert received["TIMED_OUT"]["detail"]["stateMachineArn"] == times_out
    stopped = sfn.describe_execution(executionArn=started[waits])
    assert (stopped["status"], stopped.get("error"), stopped.get("cause")) == (
        "ABORTED",
        "Wedged",
        "stopped by on-call",
    )
    messages = (
        client(emulator, "sqs")
        .receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        .get("Messages", [])
    )
    assert len(messages) >= 1  # the rule's other targets still get the event
    time.sleep(0.5)
    assert len(delivered(log, 3)) == 3  # one delivery per closed execution


def test_stopping_an_execution_while_a_task_waits_for_its_token_aborts_it(
    emulator: dict[str, Any], tmp_path: Path
) -> None:
    """moto woke the waiting task as timed out and recorded FAILED/States.Timeout over the
    stop; AWS ends it ABORTED, runs no Catch, and says so in the event."""
    log = tmp_path / "waiting.jsonl"
    recorder = create_sample_function(
        emulator, "record_waiting", "sample_fns.handlers.record_event", {"EVENT_LOG": str(log)}
    )
    token_taker = create_sample_function(
        emulator, "take_token", "sample_fns.handlers.hand_out_token"
    )
    waits_for_token = machine(
        emulator,
        "waits-for-token",
        {
            "StartAt": "Approve",
            "States": {
                "Approve": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                    "Parameters": {
                        "FunctionName": token_taker,
                        "Payload": {"token.$": "$$.Task.Token"},
                    },
                    "TimeoutSeconds": 300,
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                    "End": True,
                },
                "Caught": {"Type": "Fail", "Error": "Caught"},
            },
        },
    )
    events = client(emulator, "events")
    events.put_rule(
        Name="waiting-ended",
        EventPattern=json.dumps(
            {"source": ["aws.states"], "detail": {"stateMachineArn": [waits_for_token]}}
        ),
    )
    events.put_targets(Rule="waiting-ended", Targets=[{"Id": "recorder", "Arn": recorder}])
    sfn = client(emulator, "stepfunctions")
    arn = sfn.start_execution(stateMachineArn=waits_for_token, input="{}")["executionArn"]
    deadline = time.monotonic() + 30
    while not any(
        e["type"] == "TaskSubmitted" for e in sfn.get_execution_history(executionArn=arn)["events"]
    ):
        assert time.monotonic() < deadline, "the task never started waiting"
        time.sleep(0.1)

    sfn.stop_execution(executionArn=arn, error="Wedged", cause="stopped by on-call")

    (event,) = delivered(log, 1)
    assert (event["detail"]["status"], event["detail"]["error"]) == ("ABORTED", "Wedged")
    assert sfn.describe_execution(executionArn=arn)["status"] == "ABORTED"
    history = [e["type"] for e in sfn.get_execution_history(executionArn=arn)["events"]]
    assert "FailStateEntered" not in history
