"""Turn a pydantic ValidationError into a message that names fields, never values.

Values are left out on purpose: task input carries task tokens, and bodies may carry
anything a caller sent.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from jira_workflow.domain.errors import InvalidRequest, MalformedBody

Model = TypeVar("Model", bound=BaseModel)
MAX_REPORTED_PROBLEMS = 5


def field_problems(exc: ValidationError) -> str:
    """`issue.fields.project.key: Field required` for each problem, field first."""
    parts = []
    for error in exc.errors(include_input=False)[:MAX_REPORTED_PROBLEMS]:
        where = ".".join(str(part) for part in error["loc"]) or "body"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def json_document(raw: bytes | str, problem: str = "body is not valid UTF-8 JSON") -> Any:
    """Parse an HTTP body as UTF-8 JSON; whatever a sender can get wrong is a MalformedBody.

    Beyond bad JSON: invalid UTF-8, integers past Python's digit limit (ValueError), nesting
    deeper than the parser's stack (RecursionError), and unpaired surrogate escapes
    (`"\\ud800"`), which parse but cannot be stored: DynamoDB and S3 want valid UTF-8.
    """
    try:
        document = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedBody("body has an unpaired surrogate escape: not valid Unicode") from None
    except (ValueError, RecursionError) as exc:
        raise MalformedBody(f"{problem}: {type(exc).__name__}") from None
    return document


def parse_body(model: type[Model], document: Any) -> Model:
    """Validate an HTTP body; a bad one is a MalformedBody (400) naming the field."""
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        raise MalformedBody(field_problems(exc)) from None


def parse_task(model: type[Model], event: Any) -> Model:
    """Validate a task's input; a bad one is a terminal InvalidRequest naming the field."""
    try:
        return model.model_validate(event)
    except ValidationError as exc:
        raise InvalidRequest(f"task input: {field_problems(exc)}") from None
