"""The one mapping from workflow errors to HTTP answers, and the one-route adapter every API
function uses in place of a router.

API Gateway sends each API function exactly one route, so a multi-route resolver buys
nothing here; Powertools' `event_handler` cost about half an `import boto3` at every cold
start (it imports the AppSync resolvers and asyncio). `make bench` prints both figures.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jira_workflow.domain.errors import (
    ApprovalAlreadyDecided,
    ApprovalExpired,
    BadSignature,
    BodyTooLarge,
    CallerNotAllowed,
    MalformedBody,
    NoPendingApproval,
    RequestNotFound,
    RetryableError,
    WorkflowError,
)
from jira_workflow.observability import logger

STATUS_BY_ERROR: tuple[tuple[type[WorkflowError], int], ...] = (
    (BadSignature, 401),
    (MalformedBody, 400),
    (BodyTooLarge, 413),
    (CallerNotAllowed, 403),
    (RequestNotFound, 404),
    (NoPendingApproval, 404),
    (ApprovalAlreadyDecided, 409),
    (ApprovalExpired, 410),
    (RetryableError, 503),  # throttled or a dependency down: the caller retries
)
RETRY_AFTER_SECONDS = "5"

ApiEvent = Mapping[str, Any]
ProxyResult = dict[str, Any]


@dataclass(frozen=True)
class HttpAnswer:
    """A JSON answer, turned into API Gateway's REST proxy result at the edge."""

    status_code: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def proxy_result(self) -> ProxyResult:
        return {
            "statusCode": self.status_code,
            "headers": {"Content-Type": self.content_type, **self.headers},
            "body": self.body,
            "isBase64Encoded": False,
        }


@dataclass(frozen=True)
class Route:
    """The one route API Gateway sends to a function (method and resource, as in Terraform)."""

    method: str
    resource: str

    def resolve(self, event: ApiEvent, answer: Callable[[ApiEvent], HttpAnswer]) -> ProxyResult:
        """`answer(event)` as a proxy result; workflow errors become their status, anything
        else a 500 without internals."""
        try:
            if (event.get("httpMethod"), event.get("resource")) != (self.method, self.resource):
                return json_response(404, {"error": "NotFound", "reason": "no such route"})
            return answer(event).proxy_result()
        except WorkflowError as exc:
            if status_for(exc) >= 500:
                logger.warning("request failed", extra={"error": type(exc).__name__})
            return error_response(exc).proxy_result()
        except Exception:
            # Logged with its traceback for us; the caller gets no internals.
            logger.exception("unhandled error")
            return json_response(500, {"error": "InternalError", "reason": "internal error"})


def json_answer(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> HttpAnswer:
    return HttpAnswer(status, json.dumps(body), headers or {})


def json_response(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> ProxyResult:
    return json_answer(status, body, headers).proxy_result()


def raw_body(event: ApiEvent) -> bytes:
    """The body's bytes as the sender sent (and signed) them; API Gateway base64-encodes a
    body that is not UTF-8 text."""
    body = event.get("body") or ""
    if not event.get("isBase64Encoded"):
        return str(body).encode("utf-8", errors="surrogateescape")
    try:
        return base64.b64decode(body)
    except (binascii.Error, ValueError):
        raise MalformedBody("body is not valid base64") from None


def request_headers(event: ApiEvent) -> dict[str, str]:
    return dict(event.get("headers") or {})


def path_parameter(event: ApiEvent, name: str) -> str:
    return str((event.get("pathParameters") or {}).get(name) or "")


def error_response(exc: WorkflowError) -> HttpAnswer:
    status = status_for(exc)
    body: dict[str, Any] = {"error": type(exc).__name__, "reason": str(exc)}
    if isinstance(exc, ApprovalAlreadyDecided):
        body.update(decision=exc.decision, actor=exc.actor)
    headers = {"Retry-After": RETRY_AFTER_SECONDS} if status == 503 else None
    return json_answer(status, body, headers)


def status_for(exc: WorkflowError) -> int:
    for error_type, status in STATUS_BY_ERROR:
        if isinstance(exc, error_type):
            return status
    return 500
