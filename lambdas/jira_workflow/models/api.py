"""Bodies of the HTTP API: what callers send and what they get back.

Checked by hand (models/reader.py): four fields do not need a validation library.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jira_workflow.domain.errors import MalformedBody
from jira_workflow.domain.requests import Decision
from jira_workflow.models.reader import ISSUE_KEY, FieldReader

MAX_ACTOR_CHARS = 256
MAX_COMMENT_CHARS = 4000


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
        reader = FieldReader(MalformedBody)
        body = reader.root(document, "body")
        reader.no_other_fields(body, cls.__dataclass_fields__)
        issue_key = reader.text(body, "issueKey", max_chars=80, pattern=ISSUE_KEY)
        decision = reader.one_of(body, "decision", (d.value for d in Decision))
        actor = reader.text(body, "actor", required=False, max_chars=MAX_ACTOR_CHARS)
        comment = reader.text(body, "comment", required=False, max_chars=MAX_COMMENT_CHARS)
        reader.fail_if_any()
        return cls(issue_key or "", Decision(decision or ""), actor or "", comment or "")
