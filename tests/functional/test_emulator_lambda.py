"""The emulator runs real handler code for moto's Lambda functions (patches
run_lambda_in_process and async_invoke_in_background)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from local_cloud.test_support import client, create_sample_function, running_emulator


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with running_emulator(tmp_path_factory.mktemp("emulator") / "emulator.log") as endpoints:
        create_sample_function(endpoints, "echo", "sample_fns.handlers.echo", {"COLOR": "blue"})
        create_sample_function(endpoints, "red", "sample_fns.handlers.slow_color", {"COLOR": "red"})
        create_sample_function(
            endpoints, "green", "sample_fns.handlers.slow_color", {"COLOR": "green"}
        )
        create_sample_function(endpoints, "unavailable", "sample_fns.handlers.unavailable")
        create_sample_function(endpoints, "unserialisable", "sample_fns.handlers.unserialisable")
        create_sample_function(
            endpoints, "outlives", "sample_fns.handlers.sleep_then_mark", timeout=1
        )
        yield endpoints


def invoke(endpoints: dict[str, Any], name: str, event: dict[str, Any]) -> dict[str, Any]:
    response = client(endpoints, "lambda").invoke(
        FunctionName=name, Payload=json.dumps(event).encode()
    )
    return {"error": response.get("FunctionError"), "payload": json.load(response["Payload"])}


def test_invoke_runs_the_handler_from_the_uploaded_zip(emulator: dict[str, Any]) -> None:
    result = invoke(emulator, "echo", {"n": 1})

    assert result["error"] is None
    assert result["payload"] == {"event": {"n": 1}, "color": "blue", "function": "echo"}


def test_concurrent_invocations_each_see_their_own_environment(emulator: dict[str, Any]) -> None:
    names = ["red", "green"] * 4
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda n: invoke(emulator, n, {"sleep": 0.3}), names))

    assert [r["payload"]["color"] for r in results] == names


def test_raised_exception_becomes_function_error_named_after_its_class(
    emulator: dict[str, Any],
) -> None:
    result = invoke(emulator, "unavailable", {})

    assert result["error"] == "Handled"
    assert result["payload"]["errorType"] == "ExternalServiceUnavailable"
    assert result["payload"]["errorMessage"] == "enrichment API answered 503"


def test_unserialisable_result_is_a_marshal_error(emulator: dict[str, Any]) -> None:
    result = invoke(emulator, "unserialisable", {})

    assert result["error"] == "Handled"
    assert result["payload"]["errorType"] == "Runtime.MarshalError"


def test_handler_running_past_its_timeout_is_stopped_and_reported_sandbox_timedout(
    emulator: dict[str, Any], tmp_path: Path
) -> None:
    marker = tmp_path / "finished"
    started = time.monotonic()

    result = invoke(emulator, "outlives", {"steps": 30, "marker": str(marker)})

    assert time.monotonic() - started < 2.5
    assert result["error"] is not None
    assert result["payload"]["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in result["payload"]["errorMessage"]
    time.sleep(3.5)  # past the moment the handler would have finished
    assert not marker.exists()


def test_async_invoke_answers_before_the_function_finishes(emulator: dict[str, Any]) -> None:
    started = time.monotonic()
    response = client(emulator, "lambda").invoke(
        FunctionName="red", InvocationType="Event", Payload=b'{"sleep": 2}'
    )

    assert response["StatusCode"] == 202
    assert time.monotonic() - started < 1.5


def test_handler_output_becomes_cloudwatch_log_events(emulator: dict[str, Any]) -> None:
    invoke(emulator, "echo", {})
    logs = client(emulator, "logs")

    events = logs.filter_log_events(logGroupName="/aws/lambda/echo")["events"]

    assert any("echo invoked by echo" in e["message"] for e in events)


def test_emulator_reports_every_patch_applied(emulator: dict[str, Any]) -> None:
    health = requests.get(f"{emulator['control']}/health", timeout=5).json()

    assert set(health["patches"]) >= {
        "run_lambda_in_process",
        "async_invoke_in_background",
        "validate_state_machine_definition",
        "reject_invalid_definitions",
        "list_state_machine_versions",
        "send_task_failure_keeps_cause",
        "start_execution_names_and_faults",
        "atomic_dynamodb_writes",
    }


def test_emulator_applies_the_local_loop_patches(emulator: dict[str, Any]) -> None:
    health = requests.get(f"{emulator['control']}/health", timeout=5).json()

    assert {"reuse_asl_task_clients", "moto_server_no_delay"} <= set(health["patches"])
