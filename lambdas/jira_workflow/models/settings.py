"""Environment settings: read once at cold start, validated, then trusted everywhere."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from jira_workflow.domain.trigger import TriggerRule


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


CsvList = Annotated[tuple[str, ...], BeforeValidator(_split_csv)]


# The defaults are the domain's: the environment only overrides them.
_RULE = TriggerRule()


class TriggerSettings(BaseModel):
    """The trigger rule as the environment states it (see domain.trigger.TriggerRule)."""

    model_config = ConfigDict(frozen=True)

    project_keys: CsvList = Field(default=_RULE.project_keys, alias="TRIGGER_PROJECT_KEYS")
    issue_types: CsvList = Field(default=_RULE.issue_types, alias="TRIGGER_ISSUE_TYPES")
    trigger_status: str = Field(default=_RULE.trigger_status, alias="TRIGGER_STATUS")
    approval_pending_status: str = Field(
        default=_RULE.approval_pending_status, alias="APPROVAL_PENDING_STATUS"
    )
    approve_status: str = Field(default=_RULE.approve_status, alias="APPROVE_STATUS")
    reject_status: str = Field(default=_RULE.reject_status, alias="REJECT_STATUS")
    done_status: str = Field(default=_RULE.done_status, alias="DONE_STATUS")
    failed_status: str = Field(default=_RULE.failed_status, alias="FAILED_STATUS")

    def rule(self) -> TriggerRule:
        """The validated values as the domain's trigger rule."""
        return TriggerRule(**self.model_dump())


class Settings(BaseModel):
    """Every environment variable a function may read (see docs/design.md)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    requests_table: str = Field(default="", alias="REQUESTS_TABLE")
    artifacts_bucket: str = Field(default="", alias="ARTIFACTS_BUCKET")
    state_machine_arn: str = Field(default="", alias="STATE_MACHINE_ARN")
    jira_base_url: str = Field(default="", alias="JIRA_BASE_URL")
    jira_api_secret_arn: str = Field(default="", alias="JIRA_API_SECRET_ARN")
    jira_webhook_secret_arn: str = Field(default="", alias="JIRA_WEBHOOK_SECRET_ARN")
    external_api_secret_arn: str = Field(default="", alias="EXTERNAL_API_SECRET_ARN")
    enrich_api_url: str = Field(default="", alias="ENRICH_API_URL")
    fulfil_api_url: str = Field(default="", alias="FULFIL_API_URL")
    auto_approve_max_risk: int = Field(default=-1, ge=-1, le=100, alias="AUTO_APPROVE_MAX_RISK")
    approval_timeout_seconds: int = Field(default=86400, gt=0, alias="APPROVAL_TIMEOUT_SECONDS")
    max_webhook_bytes: int = Field(default=262144, gt=0, alias="MAX_WEBHOOK_BYTES")
    http_timeout_seconds: float = Field(default=10.0, gt=0, alias="HTTP_TIMEOUT_SECONDS")
    secrets_max_age_seconds: int = Field(default=300, ge=0, alias="SECRETS_MAX_AGE_SECONDS")
    trigger: TriggerSettings = Field(default_factory=TriggerSettings)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from the environment; a bad value names its variable."""
        env = dict(os.environ if environ is None else environ)
        try:
            return cls.model_validate({**env, "trigger": TriggerSettings.model_validate(env)})
        except ValidationError as exc:
            fields = ", ".join(str(err["loc"][-1]) for err in exc.errors())
            raise ValueError(f"invalid environment settings: {fields}") from exc

    @classmethod
    def environment_names(cls) -> tuple[str, ...]:
        """Every variable the settings read, for callers that key caches on them."""
        own = [f.alias for name, f in cls.model_fields.items() if name != "trigger"]
        trigger = [f.alias for f in TriggerSettings.model_fields.values()]
        return tuple(name for name in (*own, *trigger) if name)
