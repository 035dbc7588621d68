"""Helpers the emulator's own tests share: a running emulator and small self-made
functions, so every patch is tested without the project's handlers or Terraform."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from local_cloud.clients import emulator_client
from local_cloud.process import emulator_process

ROLE_ARN = "arn:aws:iam::123456789012:role/local-cloud-test"

# A tiny package with one handler per behaviour the emulator must support.
SAMPLE_PACKAGE = {
    "sample_fns/__init__.py": "",
    "sample_fns/handlers.py": '''
import json
import os
import time


class ExternalServiceUnavailable(Exception):
    """Named like the project's retryable error so ASL can match it."""


def echo(event, context):
    print("echo invoked by", context.function_name)
    return {"event": event, "color": os.environ.get("COLOR"),
            "function": context.function_name}


def slow_color(event, context):
    time.sleep(float(event.get("sleep", 0.3)))
    return {"color": os.environ.get("COLOR")}


def sleep_then_mark(event, context):
    # Outlives a short timeout in small steps, then leaves a file: it must never appear.
    for _ in range(int(event["steps"])):
        time.sleep(0.1)
    open(event["marker"], "w").close()
    return {"finished": True}


def unavailable(event, context):
    raise ExternalServiceUnavailable("enrichment API answered 503")


def flaky(event, context):
    # Fails until the marker file exists, then succeeds: "failing then recovering".
    marker = event["marker"]
    if not os.path.exists(marker):
        open(marker, "w").close()
        raise ExternalServiceUnavailable("first call fails")
    return {"recovered": True}


def record_event(event, context):
    # One JSON line per delivery, in the file the test named: what the function was sent.
    with open(os.environ["EVENT_LOG"], "a") as log:
        log.write(json.dumps(event) + "\\n")
    return {"recorded": True}


def hand_out_token(event, context):
    return {"received": bool(event.get("token"))}


def http_proxy(event, context):
    return {"statusCode": 201, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"resource": event["resource"], "path": event["path"],
                                "pathParameters": event["pathParameters"],
                                "query": event["queryStringParameters"],
                                "body": event["body"], "stage": event["requestContext"]["stage"],
                                "sourceIp": event["requestContext"]["identity"]["sourceIp"],
                                "apiKeyId": event["requestContext"]["identity"].get("apiKeyId")})}


def unserialisable(event, context):
    return {"a set": {1, 2}}


def bad_proxy(event, context):
    return {"no": "statusCode"}
''',
}


def zip_of(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@contextmanager
def running_emulator(log_file: Path) -> Iterator[dict[str, Any]]:
    with emulator_process(log_file) as process:
        yield process.info


def client(endpoints: dict[str, Any], service: str) -> Any:
    return emulator_client(service, endpoints["aws"], endpoints["region"])


def create_sample_function(
    endpoints: dict[str, Any],
    name: str,
    handler: str,
    environment: dict[str, str] | None = None,
    timeout: int = 30,
) -> str:
    """Creates `name` from SAMPLE_PACKAGE (and the role on first use); returns its ARN."""
    iam = client(endpoints, "iam")
    with suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(RoleName="local-cloud-test", AssumeRolePolicyDocument="{}")
    response = client(endpoints, "lambda").create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=ROLE_ARN,
        Handler=handler,
        Code={"ZipFile": zip_of(SAMPLE_PACKAGE)},
        Environment={"Variables": environment or {}},
        Timeout=timeout,
    )
    arn: str = response["FunctionArn"]
    return arn
