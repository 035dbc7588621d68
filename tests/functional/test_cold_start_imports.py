"""What a function loads by the end of its first invocation, in a fresh interpreter.

The handler runs in a child process (as Lambda starts one per container) against a moto
server on 127.0.0.1, so the modules it reports are the ones its cold start pays for, not
what earlier tests left in this process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from jira_workflow.adapters.requests_table import RequestsTable
from jira_workflow.domain.requests import RequestState
from tests.functional.conftest import REGION, _create_table
from tests.support.lambda_events import api_event

TABLE = "cold-start-requests"
WATCHED = ("pydantic", "requests", "aws_xray_sdk")
FIRST_INVOCATION = """
import json, sys
from importlib import import_module
handler = import_module("jira_workflow.handlers." + sys.argv[1]).handler
class Context:
    function_name = "cold"; function_version = "$LATEST"; memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:cold"
    aws_request_id = "cold-start"
    def get_remaining_time_in_millis(self): return 30_000
response = handler(json.loads(sys.argv[2]), Context())
print(json.dumps({"status": response["statusCode"], "loaded": sorted(set(sys.modules))}))
"""


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    dynamodb = boto3.client(
        "dynamodb",
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    _create_table(dynamodb, TABLE)
    table = RequestsTable(dynamodb, TABLE)
    table.claim("OPS-1", "OPS-1-d", "d", "webhooks/OPS-1/OPS-1-d.json", "2026-11-28T00:00:00Z")
    table.update("OPS-1", "OPS-1-d", "2026-11-28T00:00:05Z", state=RequestState.RUNNING)
    yield url
    server.stop()


def first_invocation(endpoint: str, handler: str, event: dict[str, Any]) -> tuple[int, set[str]]:
    result = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-c", FIRST_INVOCATION, handler, json.dumps(event)],
        capture_output=True,
        text=True,
        check=False,
        env={
            "PATH": "/usr/bin:/bin",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": endpoint,
            "REQUESTS_TABLE": TABLE,
            "DECISION_KEY_IDS": "decidekey01=jira-automation",
            "POWERTOOLS_METRICS_NAMESPACE": "JiraWorkflow",
        },
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return report["status"], set(report["loaded"]) & set(WATCHED)


def test_status_answers_its_first_call_without_pydantic_or_requests(endpoint: str) -> None:
    event = api_event(
        "GET",
        "/requests/OPS-1",
        resource="/requests/{issueKey}",
        path_parameters={"issueKey": "OPS-1"},
    )

    status, loaded = first_invocation(endpoint, "status", event)

    assert status == 200
    assert loaded == set()


def test_callback_decides_without_loading_requests(endpoint: str) -> None:
    # OPS-1 is still running: NoPendingApproval (404) after the conditional write fails.
    body = {"issueKey": "OPS-1", "decision": "approved", "actor": "Carol Lead", "comment": "ok"}

    status, loaded = first_invocation(
        endpoint, "callback", api_event("POST", "/jira/callback", body, api_key_id="decidekey01")
    )

    assert status == 404
    # The body is checked by hand (models/reader.py); Jira is only called for a late decision.
    assert loaded == set()
