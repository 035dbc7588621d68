"""What each function's module loads at cold start, seen from a fresh interpreter.

In-process checks would see whatever earlier tests imported (moto loads half of PyPI).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HANDLERS = (
    "webhook",
    "callback",
    "status",
    "reconciler",
    "validate_request",
    "enrich_request",
    "request_approval",
    "store_artifacts",
    "fulfil_request",
    "report_outcome",
    "record_failure",
    "finalise_execution",
    "complete_decision",
)
HEAVY = ("aws_xray_sdk", "pydantic", "requests", "aws_lambda_powertools.event_handler", "asyncio")


def loaded_after_import(handler: str, *first_call: str) -> set[str]:
    """`first_call`: modules the function imports on its first invocation (the container's)."""
    modules = [f"jira_workflow.handlers.{handler}", *first_call]
    script = (
        "import importlib, json, sys\n"
        f"for module in {modules!r}: importlib.import_module(module)\n"
        f"print(json.dumps(sorted(set(sys.modules) & set({list(HEAVY)!r}))))\n"
    )
    result = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "eu-west-1"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("handler", HANDLERS)
def test_no_function_loads_the_xray_sdk_or_pydantic(handler: str) -> None:
    # Every document a function reads is checked by hand (models/reader.py).
    assert {"aws_xray_sdk", "pydantic"}.isdisjoint(
        loaded_after_import(handler, "jira_workflow.models.tasks")
    )


def test_validate_loads_no_http_client() -> None:
    # It reads S3 and writes DynamoDB only; the steps depend on ports, not the HTTP adapters.
    assert "requests" not in loaded_after_import("validate_request", "jira_workflow.services.steps")


def test_status_imports_neither_pydantic_nor_requests() -> None:
    assert loaded_after_import("status") == set()


@pytest.mark.parametrize("handler", ["webhook", "callback", "status"])
def test_single_route_functions_load_no_resolver_stack(handler: str) -> None:
    # Powertools' event_handler pulls in the AppSync resolvers and asyncio: half an
    # `import boto3` at every cold start for routing that API Gateway already did.
    assert not {"aws_lambda_powertools.event_handler", "asyncio"} & loaded_after_import(handler)


@pytest.mark.parametrize("handler", ["webhook", "callback"])
def test_api_functions_that_do_not_call_jira_at_once_import_no_requests(handler: str) -> None:
    assert "requests" not in loaded_after_import(handler)
