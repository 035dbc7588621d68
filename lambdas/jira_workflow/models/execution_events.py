"""The "Step Functions Execution Status Change" event EventBridge delivers (source
`aws.states`), trimmed to the fields the finaliser reads. Shape: AWS Step Functions
Developer Guide, "EventBridge (CloudWatch Events) for Step Functions execution status
changes"; a sample is committed in tests/fixtures/eventbridge/.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from jira_workflow.domain.finalisation import EndedExecution, issue_key_of_input

DETAIL_TYPE = "Step Functions Execution Status Change"


class ExecutionStatusDetail(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    execution_arn: str = Field(alias="executionArn", min_length=1)
    state_machine_arn: str = Field(alias="stateMachineArn", min_length=1)
    name: str = Field(min_length=1, max_length=80)
    status: str = Field(min_length=1)
    # Left out (null) by Step Functions when input and output together exceed 248 KB.
    input: str | None = None
    error: str | None = None
    cause: str | None = None


class ExecutionStatusChange(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    source: Literal["aws.states"]
    detail_type: Literal["Step Functions Execution Status Change"] = Field(alias="detail-type")
    detail: ExecutionStatusDetail

    def ended_execution(self) -> EndedExecution:
        detail = self.detail
        return EndedExecution(
            name=detail.name,
            arn=detail.execution_arn,
            status=detail.status,
            error=detail.error or "",
            cause=detail.cause or "",
            issue_key=issue_key_of_input(detail.input),
        )
