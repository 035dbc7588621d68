"""The one mapping from workflow errors to HTTP answers, shared by every API function."""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

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

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

# A custom domain's base path mapping (e.g. /jira) stays in the event's path; the routes do not
# carry it. Terraform sets it from custom_domain.base_path, empty when there is none.
API_BASE_PATH_VARIABLE = "API_BASE_PATH"


def base_path_prefixes(environ: Mapping[str, str]) -> list[str]:
    base_path = environ.get(API_BASE_PATH_VARIABLE, "").strip("/")
    return [f"/{base_path}"] if base_path else []


def api_resolver(environ: Mapping[str, str] | None = None) -> APIGatewayRestResolver:
    """The API functions' router: routes answer under the custom domain's base path too."""
    env = os.environ if environ is None else environ
    return APIGatewayRestResolver(strip_prefixes=list(base_path_prefixes(env)) or None)


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


def json_response(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response[str]:
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(body),
        headers=headers or {},
    )


def raw_body(event: APIGatewayProxyEvent) -> bytes:
    """The body's bytes as the sender sent (and signed) them.

    API Gateway base64-encodes a body that is not UTF-8 text; Powertools' `decoded_body`
    then raises decoding it back to str (a 500), so the bytes are taken before that.
    """
    body = event.body or ""
    if not event.is_base64_encoded:
        return body.encode("utf-8", errors="surrogateescape")
    try:
        return base64.b64decode(body)
    except binascii.Error:
        raise MalformedBody("body is not valid base64") from None


def error_response(exc: WorkflowError) -> Response[str]:
    status = status_for(exc)
    body: dict[str, Any] = {"error": type(exc).__name__, "reason": str(exc)}
    if isinstance(exc, ApprovalAlreadyDecided):
        body.update(decision=exc.decision, actor=exc.actor)
    headers = {"Retry-After": RETRY_AFTER_SECONDS} if status == 503 else None
    return json_response(status, body, headers)


def status_for(exc: WorkflowError) -> int:
    for error_type, status in STATUS_BY_ERROR:
        if isinstance(exc, error_type):
            return status
    return 500


def register_error_handlers(app: APIGatewayRestResolver) -> None:
    @app.exception_handler(WorkflowError)
    def _workflow_error(exc: WorkflowError) -> Response[str]:
        if status_for(exc) >= 500:
            logger.warning("request failed", extra={"error": type(exc).__name__})
        return error_response(exc)

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response[str]:
        # Logged with its traceback for us; the caller gets no internals.
        logger.exception("unhandled error")
        return json_response(500, {"error": "InternalError", "reason": "internal error"})

    @app.not_found
    def _not_found(exc: Exception) -> Response[str]:
        return json_response(404, {"error": "NotFound", "reason": "no such route"})
