"""Step Functions in the emulator executes ASL against in-process Lambdas, and answers the
calls moto lacks (patches validate_state_machine_definition, reject_invalid_definitions,
list_state_machine_versions, send_task_failure_keeps_cause, start_execution_names_and_faults,
reuse_asl_task_clients).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from local_cloud import moto_patches
from local_cloud.test_support import ROLE_ARN, client, create_sample_function, running_emulator

LAMBDA_ARN = "arn:aws:lambda:us-east-1:123456789012:function:{}"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with running_emulator(tmp_path_factory.mktemp("emulator") / "emulator.log") as endpoints:
        create_sample_function(endpoints, "echo", "sample_fns.handlers.echo")
        create_sample_function(endpoints, "unavailable", "sample_fns.handlers.unavailable")
        create_sample_function(endpoints, "flaky", "sample_fns.handlers.flaky")
        create_sample_function(endpoints, "hand_out_token", "sample_fns.handlers.hand_out_token")
        yield endpoints


def create_machine(endpoints: dict[str, Any], name: str, definition: dict[str, Any]) -> str:
    arn: str = client(endpoints, "stepfunctions").create_state_machine(
        name=name, definition=json.dumps(definition), roleArn=ROLE_ARN
    )["stateMachineArn"]
    return arn


def wait_until_closed(endpoints: dict[str, Any], execution_arn: str, timeout: float = 30) -> Any:
    sfn = client(endpoints, "stepfunctions")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.1)
    raise AssertionError(f"{execution_arn} still running after {timeout}s")


def wait_for_token(endpoints: dict[str, Any], execution_arn: str) -> str:
    sfn = client(endpoints, "stepfunctions")
    for _ in range(100):
        for event in sfn.get_execution_history(executionArn=execution_arn)["events"]:
            if event["type"] == "TaskScheduled":
                parameters = json.loads(event["taskScheduledEventDetails"]["parameters"])
                token: str = parameters["Payload"]["token"]
                return token
        time.sleep(0.05)
    raise AssertionError("no task was scheduled")


def callback_machine(timeout_seconds: int) -> dict[str, Any]:
    return {
        "StartAt": "Approve",
        "States": {
            "Approve": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {
                    "FunctionName": LAMBDA_ARN.format("hand_out_token"),
                    "Payload": {"token.$": "$$.Task.Token"},
                },
                "TimeoutSeconds": timeout_seconds,
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}],
                "End": True,
            },
            "Failed": {"Type": "Pass", "End": True},
        },
    }


def test_retry_then_catch_matches_the_handlers_exception_class(emulator: dict[str, Any]) -> None:
    machine = create_machine(
        emulator,
        "retry-catch",
        {
            "StartAt": "Enrich",
            "States": {
                "Enrich": {
                    "Type": "Task",
                    "Resource": LAMBDA_ARN.format("unavailable"),
                    "Retry": [
                        {
                            "ErrorEquals": ["ExternalServiceUnavailable"],
                            "IntervalSeconds": 1,
                            "MaxAttempts": 1,
                        }
                    ],
                    "Catch": [{"ErrorEquals": ["ExternalServiceUnavailable"], "Next": "Failed"}],
                    "End": True,
                },
                "Failed": {"Type": "Fail", "Error": "EnrichFailed", "Cause": "gave up"},
            },
        },
    )
    sfn = client(emulator, "stepfunctions")
    execution = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]

    described = wait_until_closed(emulator, execution)
    events = sfn.get_execution_history(executionArn=execution)["events"]

    assert described["status"] == "FAILED"
    assert described["error"] == "EnrichFailed"
    assert sum(e["type"] == "LambdaFunctionFailed" for e in events) == 2


def test_retry_recovers_when_the_function_starts_succeeding(
    emulator: dict[str, Any], tmp_path: Path
) -> None:
    machine = create_machine(
        emulator,
        "recovering",
        {
            "StartAt": "Enrich",
            "States": {
                "Enrich": {
                    "Type": "Task",
                    "Resource": LAMBDA_ARN.format("flaky"),
                    "Retry": [
                        {
                            "ErrorEquals": ["ExternalServiceUnavailable"],
                            "IntervalSeconds": 1,
                            "MaxAttempts": 2,
                        }
                    ],
                    "End": True,
                }
            },
        },
    )
    sfn = client(emulator, "stepfunctions")
    execution = sfn.start_execution(
        stateMachineArn=machine, input=json.dumps({"marker": str(tmp_path / "called")})
    )["executionArn"]

    described = wait_until_closed(emulator, execution)

    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"recovered": True}


def test_wait_for_task_token_resumes_on_send_task_success(emulator: dict[str, Any]) -> None:
    machine = create_machine(emulator, "callback-success", callback_machine(60))
    sfn = client(emulator, "stepfunctions")
    execution = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]

    sfn.send_task_success(taskToken=wait_for_token(emulator, execution), output='{"ok": true}')
    described = wait_until_closed(emulator, execution)

    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"ok": True}


def test_send_task_failure_keeps_its_cause(emulator: dict[str, Any]) -> None:
    machine = create_machine(emulator, "callback-failure", callback_machine(60))
    sfn = client(emulator, "stepfunctions")
    execution = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]

    sfn.send_task_failure(
        taskToken=wait_for_token(emulator, execution), error="Rejected", cause="said no"
    )
    described = wait_until_closed(emulator, execution)

    assert described["status"] == "SUCCEEDED"  # caught by the Catch into Failed (a Pass)
    assert json.loads(described["output"]) == {"Error": "Rejected", "Cause": "said no"}


def test_callback_task_times_out_with_states_timeout(emulator: dict[str, Any]) -> None:
    machine = create_machine(emulator, "callback-timeout", callback_machine(1))
    sfn = client(emulator, "stepfunctions")
    execution = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    token = wait_for_token(emulator, execution)

    described = wait_until_closed(emulator, execution, timeout=15)

    assert json.loads(described["output"])["Error"] == "States.Timeout"
    with pytest.raises(ClientError) as late:
        sfn.send_task_success(taskToken=token, output="{}")
    assert late.value.response["Error"]["Code"] in {"TaskTimedOut", "InvalidToken"}


def test_unnamed_executions_do_not_collide(emulator: dict[str, Any]) -> None:
    machine = create_machine(
        emulator, "unnamed", {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    )
    sfn = client(emulator, "stepfunctions")

    first = sfn.start_execution(stateMachineArn=machine, input='{"a": 1}')["executionArn"]
    second = sfn.start_execution(stateMachineArn=machine, input='{"a": 2}')["executionArn"]

    assert first != second
    assert not first.endswith(":None")


def test_named_start_is_idempotent_while_running(emulator: dict[str, Any]) -> None:
    machine = create_machine(emulator, "named", callback_machine(60))
    sfn = client(emulator, "stepfunctions")

    first = sfn.start_execution(stateMachineArn=machine, name="delivery-1", input="{}")
    again = sfn.start_execution(stateMachineArn=machine, name="delivery-1", input="{}")

    assert first["executionArn"] == again["executionArn"]


def test_validate_definition_reports_missing_next_target(emulator: dict[str, Any]) -> None:
    broken = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}

    result = client(emulator, "stepfunctions").validate_state_machine_definition(
        definition=json.dumps(broken)
    )

    assert result["result"] == "FAIL"
    assert result["diagnostics"][0]["code"] == "MISSING_TRANSITION_TARGET"
    assert "Nowhere" in result["diagnostics"][0]["message"]


def test_validate_definition_accepts_a_valid_machine(emulator: dict[str, Any]) -> None:
    result = client(emulator, "stepfunctions").validate_state_machine_definition(
        definition=json.dumps(callback_machine(5))
    )

    assert result["result"] == "OK"
    assert result["diagnostics"] == []


def test_create_rejects_a_definition_with_a_missing_target(emulator: dict[str, Any]) -> None:
    broken = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}

    with pytest.raises(ClientError) as rejected:
        create_machine(emulator, "broken", broken)

    assert rejected.value.response["Error"]["Code"] == "InvalidDefinition"


def test_list_state_machine_versions_answers_empty(emulator: dict[str, Any]) -> None:
    machine = create_machine(
        emulator, "versions", {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    )

    result = client(emulator, "stepfunctions").list_state_machine_versions(stateMachineArn=machine)

    assert result["stateMachineVersions"] == []


def test_fault_plan_throttles_start_execution(emulator: dict[str, Any]) -> None:
    machine = create_machine(
        emulator, "throttled", {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    )
    set_faults(emulator, {"start_execution_throttle_rate": 1.0})
    try:
        with pytest.raises(ClientError) as throttled:
            client(emulator, "stepfunctions").start_execution(stateMachineArn=machine)
    finally:
        set_faults(emulator, {"start_execution_throttle_rate": 0.0})

    assert throttled.value.response["Error"]["Code"] == "ThrottlingException"


def set_faults(endpoints: dict[str, Any], plan: dict[str, float]) -> None:
    requests.put(f"{endpoints['control']}/faults", json=plan, timeout=5).raise_for_status()


@pytest.fixture
def asl_client_patch(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """patch_reuse_asl_task_clients applied here, and undone after the test."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.utils import boto_client

    monkeypatch.setattr(moto_patches, "APPLIED", [])
    for module in (boto_client, lambda_eval_utils):
        monkeypatch.setattr(module, "boto_client_for", module.boto_client_for)
    monkeypatch.setattr(boto_client, "boto_client_for_moto", None, raising=False)
    moto_patches.patch_reuse_asl_task_clients()
    yield boto_client


def test_asl_tasks_share_one_client_per_service_and_region(asl_client_patch: Any) -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    build = asl_client_patch.boto_client_for
    with ThreadPoolExecutor(max_workers=8) as pool:
        clients = list(pool.map(lambda _: build(region="us-east-1", service="lambda"), range(8)))

    assert all(c is clients[0] for c in clients)
    # moto's module has no __all__; the patch rebinds the name there on purpose.
    rebound: Any = getattr(lambda_eval_utils, "boto_client_for")  # noqa: B009
    assert rebound("us-east-1", "lambda") is clients[0]
    assert build(region="eu-west-1", service="lambda") is not clients[0]
    assert build(region="us-east-1", service="sqs") is not clients[0]
    assert moto_patches.APPLIED == ["reuse_asl_task_clients"]


@pytest.fixture
def parsed_definitions_patch(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """patch_reuse_parsed_definitions applied here, undone after; yields each real parse."""
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    parses: list[str] = []
    real_parse = AmazonStateLanguageParser.parse

    def counted(definition: str) -> Any:
        parses.append(definition)
        return real_parse(definition)

    monkeypatch.setattr(moto_patches, "APPLIED", [])
    monkeypatch.setattr(AmazonStateLanguageParser, "parse", staticmethod(counted))
    monkeypatch.setattr(
        ExecutionWorker, "_get_evaluation_entrypoint", ExecutionWorker._get_evaluation_entrypoint
    )
    monkeypatch.setattr(ExecutionWorker, "_get_evaluation_entrypoint_moto", None, raising=False)
    moto_patches.patch_reuse_parsed_definitions()
    yield parses


def _worker_for(definition: str) -> Any:
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    worker = object.__new__(ExecutionWorker)
    details = type("Details", (), {"definition": definition})()
    evaluation = type("Eval", (), {"state_machine_details": details})()
    setattr(worker, "_evaluation_details", evaluation)  # noqa: B010 - Final in moto's class
    return worker


def test_each_definition_is_parsed_once_for_every_execution(
    parsed_definitions_patch: list[str],
) -> None:
    pass_then_end = json.dumps(
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Succeed"}}}
    )
    other = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}})

    programs = [_worker_for(pass_then_end)._get_evaluation_entrypoint() for _ in range(3)]
    third = _worker_for(other)._get_evaluation_entrypoint()

    assert all(p is programs[0] for p in programs)
    assert third is not programs[0]
    assert parsed_definitions_patch == [pass_then_end, other]
    assert moto_patches.APPLIED == ["reuse_parsed_definitions"]


def test_definitions_with_parallel_or_map_states_are_parsed_per_execution(
    parsed_definitions_patch: list[str],
) -> None:
    branch = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    parallel = json.dumps(
        {"StartAt": "A", "States": {"A": {"Type": "Parallel", "Branches": [branch], "End": True}}}
    )

    first = _worker_for(parallel)._get_evaluation_entrypoint()
    second = _worker_for(parallel)._get_evaluation_entrypoint()

    assert first is not second
    assert parsed_definitions_patch == [parallel, parallel]
