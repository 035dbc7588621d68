"""Reads the fields of a parsed JSON document, checked by hand at every trust boundary.

No validation library: the functions read a handful of fields each, and pydantic cost a
function more than half an `import boto3` at every cold start (README, "Performance").

A field that cannot be read comes back as a placeholder (None, or "" / 0 where the caller
says so), so reading goes on and reports every problem at once; `fail_if_any` raises before
a placeholder can be used. Problems name the field's path and what it must be, never the
value: task input carries task tokens, and a body may carry anything a caller sent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from jira_workflow.domain.requests import ISSUE_KEY_PATTERN

MAX_REPORTED_PROBLEMS = 5
# A `pattern` for `text`: the regex, and what a person is told the value must look like.
ISSUE_KEY = (ISSUE_KEY_PATTERN, "PROJ-123")
MAX_NAMED_FIELD_CHARS = 64  # an unknown field's name is the sender's; keep it short


class UnreadableEvent(ValueError):
    """An event from AWS (not a caller) we cannot read: retrying it cannot help."""


class FieldReader:
    def __init__(self, error: Callable[[str], Exception]) -> None:
        """`error` makes the exception `fail_if_any` raises from the problems' summary."""
        self.problems: list[str] = []
        self._error = error

    def fail_if_any(self) -> None:
        if self.problems:
            raise self._error("; ".join(self.problems[:MAX_REPORTED_PROBLEMS]))

    def root(self, value: Any, name: str) -> dict[str, Any]:
        """The whole document, which must be an object: nothing else can be read otherwise."""
        if not isinstance(value, dict):
            self.problems.append(f"{name}: must be a JSON object")
            self.fail_if_any()
        return dict(value)

    def object(self, value: Any, path: str, required: bool = True) -> dict[str, Any] | None:
        """A JSON object; None (with a problem if required) when absent or null."""
        if value is None:
            if required:
                self.problems.append(f"{path}: field required")
            return None
        if not isinstance(value, dict):
            self.problems.append(f"{path}: must be a JSON object")
            return None
        return value

    def text(
        self,
        document: dict[str, Any],
        name: str,
        path: str = "",
        required: bool = True,
        min_chars: int = 0,
        max_chars: int | None = None,
        pattern: tuple[str, str] | None = None,
    ) -> str | None:
        """A string field of `min_chars` to `max_chars`, matching `pattern` (regex, what it
        looks like); None when an optional one is absent or null."""
        value = document.get(name)
        where = _where(path, name)
        if value is None:
            if required:
                self.problems.append(f"{where}: field required")
        elif not isinstance(value, str):
            self.problems.append(f"{where}: must be a string")
        elif max_chars is not None and not min_chars <= len(value) <= max_chars:
            self.problems.append(f"{where}: must be {min_chars} to {max_chars} characters")
        elif len(value) < min_chars:
            self.problems.append(f"{where}: must be at least {min_chars} character(s)")
        elif pattern is not None and not re.fullmatch(pattern[0], value):
            self.problems.append(f"{where}: must look like {pattern[1]}")
        else:
            return value
        return None

    def integer(
        self, document: dict[str, Any], name: str, low: int, high: int, path: str = ""
    ) -> int:
        """A required integer from `low` to `high` (a JSON true is no number, though Python's
        bool is an int); 0 as the placeholder."""
        value = document.get(name)
        where = _where(path, name)
        if value is None:
            self.problems.append(f"{where}: field required")
        elif isinstance(value, bool) or not isinstance(value, int):
            self.problems.append(f"{where}: must be an integer")
        elif not low <= value <= high:
            self.problems.append(f"{where}: must be {low} to {high}")
        else:
            return value
        return 0

    def boolean(self, document: dict[str, Any], name: str, default: bool) -> bool:
        value = document.get(name, default)
        if not isinstance(value, bool):
            self.problems.append(f"{name}: must be true or false")
            return default
        return value

    def one_of(self, document: dict[str, Any], name: str, options: Iterable[str]) -> str | None:
        """A required string among `options`."""
        allowed = tuple(options)
        value = self.text(document, name)
        if value is not None and value not in allowed:
            self.problems.append(f"{name}: must be one of {', '.join(allowed)}")
            return None
        return value

    def no_other_fields(self, document: dict[str, Any], known: Iterable[str]) -> None:
        """For closed documents (a body we define): every other field is a problem."""
        self.problems.extend(
            f"{name[:MAX_NAMED_FIELD_CHARS]}: not a known field"
            for name in sorted(set(document) - set(known))
        )


def _where(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
