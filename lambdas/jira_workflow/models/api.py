"""Bodies of the HTTP API: what callers send and what they get back."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from jira_workflow.domain.requests import Decision
from jira_workflow.models.fields import IssueKey


class DecisionBody(BaseModel):
    """`POST /jira/callback`: a decision sent by Jira Automation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    issueKey: IssueKey  # noqa: N815 - the wire name Jira Automation sends
    decision: Decision
    # Free text, kept as a note: the recorded actor is the API key's name.
    actor: str = Field(default="", max_length=256)
    comment: str = Field(default="", max_length=4000)
