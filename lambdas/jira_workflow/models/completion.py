"""complete_decision's event, as the webhook's DecisionCompletions sends it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from jira_workflow.domain.requests import ISSUE_KEY_PATTERN, CompletionRequest


class CompletionEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    issue_key: str = Field(alias="issueKey", pattern=ISSUE_KEY_PATTERN)
    execution_name: str = Field(alias="executionName", min_length=1, max_length=80)
    decided_at: str = Field(alias="decidedAt", min_length=1)
    resend: bool = False

    def request(self) -> CompletionRequest:
        return CompletionRequest(self.issue_key, self.execution_name, self.decided_at, self.resend)
