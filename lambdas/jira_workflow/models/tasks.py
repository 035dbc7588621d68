"""Inputs the state machine hands each task (see statemachine/request_workflow.asl.json).

Every task gets the issue key and the execution name; everything else is a reference
(an S3 key) or a small scalar, never a large document.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from jira_workflow.models.fields import IssueKey


class TaskInput(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    issue_key: IssueKey = Field(alias="issueKey")
    execution_name: str = Field(alias="executionName", min_length=1, max_length=80)


class ValidateInput(TaskInput):
    payload_key: str = Field(alias="payloadKey", min_length=1)
    execution_arn: str = Field(alias="executionArn", min_length=1)


class EnrichInput(TaskInput):
    request_key: str = Field(alias="requestKey", min_length=1)


class StoreInput(TaskInput):
    request_key: str = Field(alias="requestKey", min_length=1)
    enrichment_key: str = Field(alias="enrichmentKey", min_length=1)
    risk_score: int = Field(alias="riskScore", ge=0, le=100)


class ApprovalInput(TaskInput):
    task_token: str = Field(alias="taskToken", min_length=1, repr=False)
    # False after Jira stayed unreachable through the step's retries: wait without it.
    tell_jira: bool = Field(default=True, alias="tellJira")


class FulfilInput(TaskInput):
    request_key: str = Field(alias="requestKey", min_length=1)


Outcome = Literal["fulfilled", "rejected", "approval_timed_out"]


class ReportInput(TaskInput):
    outcome: Outcome
    fulfilment_id: str = Field(default="", alias="fulfilmentId")


class FailureInput(TaskInput):
    error: str = Field(default="States.Runtime")
    cause: str = Field(default="")
