"""Events as API Gateway (REST proxy, v1) and Step Functions hand them to our functions."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext


class FakeLambdaContext(LambdaContext):
    """The context Lambda hands a function: a fresh request id and 30 s left."""

    def __init__(self) -> None:
        self._function_name = "jira-workflow-test"
        self._function_version = "$LATEST"
        self._memory_limit_in_mb = 256
        self._invoked_function_arn = (
            "arn:aws:lambda:eu-west-1:123456789012:function:jira-workflow-test"
        )
        self._aws_request_id = str(uuid.uuid4())
        self._log_group_name = "/aws/lambda/jira-workflow-test"
        self._log_stream_name = "test"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


def api_event(
    method: str,
    path: str,
    body: bytes | str | dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    resource: str | None = None,
    path_parameters: dict[str, str] | None = None,
    api_key_id: str | None = None,
) -> dict[str, Any]:
    """`api_key_id`: the key API Gateway checked, as it fills `identity.apiKeyId`."""
    if isinstance(body, dict):
        body = json.dumps(body)
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="surrogateescape")
    headers = {"Content-Type": "application/json", **(headers or {})}
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "body": body,
        "isBase64Encoded": False,
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "stage": "test",
            "resourcePath": resource or path,
            "httpMethod": method,
            "path": f"/test{path}",
            "identity": {"sourceIp": "127.0.0.1", "apiKeyId": api_key_id},
        },
    }


def response_json(response: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(response["body"])
    return body


def response_header(response: dict[str, Any], name: str) -> str | None:
    """A header of a REST proxy response, whichever of the two maps carries it."""
    for key, value in (response.get("headers") or {}).items():
        if key.lower() == name.lower():
            return str(value)
    for key, values in (response.get("multiValueHeaders") or {}).items():
        if key.lower() == name.lower() and values:
            return str(values[0])
    return None


class InProcessLambda:
    """A Lambda client for functional tests: an `Event` invoke is queued, as Lambda queues
    it, and `run_queued` runs each one through its handler here, after the caller returned."""

    def __init__(self, handlers: dict[str, Callable[[dict[str, Any], LambdaContext], Any]]):
        self._handlers = handlers
        self.queued: list[tuple[str, dict[str, Any]]] = []
        self.answers: list[Any] = []

    def invoke(self, *, FunctionName: str, InvocationType: str, Payload: bytes) -> dict[str, Any]:  # noqa: N803 - boto3's names
        assert InvocationType == "Event", "only asynchronous invokes are made"
        if FunctionName not in self._handlers:
            raise KeyError(f"no function {FunctionName}")
        self.queued.append((FunctionName, json.loads(Payload)))
        return {"StatusCode": 202}

    def run_queued(self) -> list[Any]:
        """Run every queued invocation; returns their answers, in order."""
        ran = []
        while self.queued:
            name, event = self.queued.pop(0)
            ran.append(self._handlers[name](event, FakeLambdaContext()))
        self.answers.extend(ran)
        return ran
