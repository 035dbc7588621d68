"""`/mock/*`: the mock external API (only deployed with `enable_mock_apis`, from its own zip)."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from jira_workflow.domain.errors import MalformedBody, WorkflowError
from jira_workflow.handlers.http import HttpAnswer, error_response, json_answer, raw_body
from jira_workflow.models.json_body import json_document
from jira_workflow.observability import logger
from mock_apis.errors import MissingCredentials, MockApiError
from mock_apis.services.mock_external_api import (
    FaultPlanError,
    MockAnswer,
    MockExternalApi,
    fault_from,
    parse_fault_plan,
)

STATUS_BY_ERROR: tuple[tuple[type[MockApiError], int], ...] = ((MissingCredentials, 401),)

# The mock serves several routes, so it keeps Powertools' resolver (it is dev-only and not
# timed); errors still get the product's one mapping to HTTP answers.
app = APIGatewayRestResolver()


def json_response(status: int, body: dict[str, Any]) -> Response[str]:
    return _powertools_response(json_answer(status, body))


def _powertools_response(answer: HttpAnswer) -> Response[str]:
    return Response(
        status_code=answer.status_code,
        content_type=answer.content_type,
        body=answer.body,
        headers=answer.headers,
    )


@app.exception_handler(WorkflowError)
def _workflow_error(exc: WorkflowError) -> Response[str]:
    return _powertools_response(error_response(exc))


@app.exception_handler(Exception)
def _unexpected(exc: Exception) -> Response[str]:
    logger.exception("unhandled error")
    return json_response(500, {"error": "InternalError", "reason": "internal error"})


@app.not_found
def _not_found(exc: Exception) -> Response[str]:
    return json_response(404, {"error": "NotFound", "reason": "no such route"})


@app.exception_handler(MockApiError)
def _mock_api_error(exc: MockApiError) -> Response[str]:
    # The product's answer shape ({"error", "reason"}) for the mock's own error types.
    status = next((code for kind, code in STATUS_BY_ERROR if isinstance(exc, kind)), 500)
    return json_response(status, {"error": type(exc).__name__, "reason": str(exc)})


@cache
def mock_api() -> MockExternalApi:
    return MockExternalApi(parse_fault_plan(os.environ.get("MOCK_FAULTS", "")))


@app.post("/mock/enrich")
def enrich() -> Response[str]:
    _require_bearer()
    return _answer(mock_api().enrich(_json_body()))


@app.post("/mock/fulfil")
def fulfil() -> Response[str]:
    _require_bearer()
    key = app.current_event.headers.get("Idempotency-Key") or app.current_event.headers.get(
        "idempotency-key", ""
    )
    return _answer(mock_api().fulfil(_json_body(), key or ""))


@app.get("/mock/faults")
def show_faults() -> Response[str]:
    return json_response(200, {"faults": mock_api().faults(), "calls": mock_api().calls})


@app.put("/mock/faults")
def set_faults() -> Response[str]:
    """Body: {"enrich": {"mode": "503", "rate": 1, "remaining": 2}, ...}; {} clears."""
    body = _json_body()
    try:
        faults = {name: fault_from(name, spec) for name, spec in body.items()}
    except (FaultPlanError, AttributeError) as exc:
        raise MalformedBody(f"fault plan: {exc}") from None
    mock_api().set_faults(faults)
    return json_response(200, {"faults": mock_api().faults()})


def _require_bearer() -> None:
    auth = app.current_event.headers.get("Authorization") or app.current_event.headers.get(
        "authorization", ""
    )
    if not (auth or "").startswith("Bearer ") or len(auth or "") <= len("Bearer "):
        raise MissingCredentials("missing bearer token")


def _json_body() -> dict[str, Any]:
    # The shared parser: whatever a sender gets wrong (bad UTF-8, huge numbers, deep
    # nesting, lone surrogates) is a 400 with a reason, not a 500. No body means {}.
    body = json_document(raw_body(app.current_event.raw_event) or b"{}", "body is not valid JSON")
    if not isinstance(body, dict):
        raise MalformedBody("body must be a JSON object")
    return body


def _answer(answer: MockAnswer) -> Response[str]:
    return json_response(answer.status_code, answer.body)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
