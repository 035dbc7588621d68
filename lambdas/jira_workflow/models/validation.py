"""Turn a pydantic ValidationError into a message that names fields, never values.

Values are left out on purpose: task input carries task tokens, and bodies may carry
anything a caller sent.
"""

from __future__ import annotations

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
