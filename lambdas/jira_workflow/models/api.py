"""Bodies of the HTTP API: what callers send and what they get back.

Checked by hand rather than with a validation library: four fields do not need one, and
pydantic was the callback's largest import after Powertools (README, "Performance").
Problems name the field and what it must be, never the value sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jira_workflow.domain.errors import MalformedBody
from jira_workflow.domain.requests import ISSUE_KEY_PATTERN, Decision

MAX_REPORTED_PROBLEMS = 5
MAX_ACTOR_CHARS = 256
MAX_COMMENT_CHARS = 4000
MAX_NAMED_FIELD_CHARS = 64  # an unknown field's name is the sender's; keep it short


@dataclass(frozen=True)
class DecisionBody:
    """`POST /jira/callback`: a decision sent by Jira Automation."""

    issueKey: str  # noqa: N815 - the wire name Jira Automation sends
    decision: Decision
    # Free text, kept as a note: the recorded actor is the API key's name.
    actor: str = ""
    comment: str = ""

    @classmethod
    def from_document(cls, document: Any) -> DecisionBody:
        """The body, or MalformedBody (400) naming each bad field."""
        if not isinstance(document, dict):
            raise MalformedBody("body: must be a JSON object")
        problems = [
            f"{name[:MAX_NAMED_FIELD_CHARS]}: not a field of this body"
            for name in sorted(set(document) - set(cls.__dataclass_fields__))
        ]
        issue_key = _text(document, "issueKey", problems, 1, 80)
        if issue_key is not None and not re.fullmatch(ISSUE_KEY_PATTERN, issue_key):
            problems.append("issueKey: must look like PROJ-123")
        decision = _text(document, "decision", problems, 1, 64)
        if decision is not None and decision not in {d.value for d in Decision}:
            problems.append("decision: must be one of approved, rejected")
        actor = _text(document, "actor", problems, 0, MAX_ACTOR_CHARS, default="")
        comment = _text(document, "comment", problems, 0, MAX_COMMENT_CHARS, default="")
        if problems:
            raise MalformedBody("; ".join(problems[:MAX_REPORTED_PROBLEMS]))
        assert issue_key is not None and decision is not None and actor is not None
        return cls(issue_key, Decision(decision), actor, comment or "")


def _text(
    document: dict[str, Any],
    name: str,
    problems: list[str],
    min_chars: int,
    max_chars: int,
    default: str | None = None,
) -> str | None:
    """The field as text of min..max characters; a problem recorded otherwise."""
    value = document.get(name, default)
    if value is None:
        problems.append(f"{name}: field required")
    elif not isinstance(value, str):
        problems.append(f"{name}: must be a string")
    elif not min_chars <= len(value) <= max_chars:
        problems.append(f"{name}: must be {min_chars} to {max_chars} characters")
    else:
        return value
    return None
