"""Environment settings: read once at cold start, validated, then trusted everywhere.

Plain dataclasses rather than a validation library: every function reads these before its
first line runs, so their import is paid on every cold start (issue 15, `make bench`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

from jira_workflow.domain import freshness
from jira_workflow.domain.requests import RequiredFields
from jira_workflow.domain.trigger import TriggerRule

Parsed = TypeVar("Parsed")


class _Invalid(ValueError):
    """A variable's value does not parse; the caller names the variable, not the value."""


def _text(raw: str) -> str:
    return raw


def _csv(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _integer(low: int | None = None, high: int | None = None) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise _Invalid from None
        if (low is not None and value < low) or (high is not None and value > high):
            raise _Invalid
        return value

    return parse


def _positive_number(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise _Invalid from None
    if not math.isfinite(value) or value <= 0:
        raise _Invalid
    return value


def _required_fields(raw: str) -> RequiredFields:
    try:
        return RequiredFields.parse(raw)
    except ValueError:
        raise _Invalid from None


def _named_keys(raw: str) -> tuple[tuple[str, str], ...]:
    """`id=name,id=name`: API key ids and the names recorded as their callers."""
    pairs = []
    for part in _csv(raw):
        key_id, _, name = part.partition("=")
        if not key_id.strip() or not name.strip():
            raise _Invalid
        pairs.append((key_id.strip(), name.strip()))
    return tuple(pairs)


_NO_KEYS: tuple[tuple[str, str], ...] = ()


def _variable(name: str, default: Parsed, parse: Callable[[str], Parsed]) -> Any:
    """A field read from the environment variable `name`, parsed by `parse` when set."""
    return field(default=default, metadata={"env": name, "parse": parse})


def _read(cls: type[Any], environ: Mapping[str, str], invalid: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for item in fields(cls):
        name = item.metadata.get("env")
        if name is None or name not in environ:
            continue
        try:
            values[item.name] = item.metadata["parse"](environ[name])
        except _Invalid:
            invalid.append(name)
    return values


def _names(cls: type[Any]) -> list[str]:
    return [item.metadata["env"] for item in fields(cls) if "env" in item.metadata]


# The defaults are the domain's: the environment only overrides them.
_RULE = TriggerRule()


@dataclass(frozen=True)
class TriggerSettings:
    """The trigger rule as the environment states it (see domain.trigger.TriggerRule)."""

    project_keys: tuple[str, ...] = _variable("TRIGGER_PROJECT_KEYS", _RULE.project_keys, _csv)
    issue_types: tuple[str, ...] = _variable("TRIGGER_ISSUE_TYPES", _RULE.issue_types, _csv)
    trigger_status: str = _variable("TRIGGER_STATUS", _RULE.trigger_status, _text)
    approval_pending_status: str = _variable(
        "APPROVAL_PENDING_STATUS", _RULE.approval_pending_status, _text
    )
    approve_status: str = _variable("APPROVE_STATUS", _RULE.approve_status, _text)
    reject_status: str = _variable("REJECT_STATUS", _RULE.reject_status, _text)
    done_status: str = _variable("DONE_STATUS", _RULE.done_status, _text)
    failed_status: str = _variable("FAILED_STATUS", _RULE.failed_status, _text)
    # Optional: Jira's status ids, matched instead of the names wherever Jira sends ids.
    trigger_status_id: str = _variable("TRIGGER_STATUS_ID", _RULE.trigger_status_id, _text)
    approve_status_id: str = _variable("APPROVE_STATUS_ID", _RULE.approve_status_id, _text)
    reject_status_id: str = _variable("REJECT_STATUS_ID", _RULE.reject_status_id, _text)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> TriggerSettings:
        """The trigger variables of `environ` (text and lists: nothing here can be invalid)."""
        return cls(**_read(cls, environ, []))

    def rule(self) -> TriggerRule:
        """The validated values as the domain's trigger rule."""
        return TriggerRule(**{item.name: getattr(self, item.name) for item in fields(self)})


@dataclass(frozen=True)
class Settings:
    """Every environment variable a function may read (see docs/design.md)."""

    requests_table: str = _variable("REQUESTS_TABLE", "", _text)
    artifacts_bucket: str = _variable("ARTIFACTS_BUCKET", "", _text)
    state_machine_arn: str = _variable("STATE_MACHINE_ARN", "", _text)
    # The webhook's decisions are completed there (it reads task tokens; the webhook cannot).
    complete_decision_function: str = _variable("COMPLETION_FUNCTION", "", _text)
    jira_base_url: str = _variable("JIRA_BASE_URL", "", _text)
    jira_api_secret_arn: str = _variable("JIRA_API_SECRET_ARN", "", _text)
    jira_webhook_secret_arn: str = _variable("JIRA_WEBHOOK_SECRET_ARN", "", _text)
    external_api_secret_arn: str = _variable("EXTERNAL_API_SECRET_ARN", "", _text)
    enrich_api_url: str = _variable("ENRICH_API_URL", "", _text)
    fulfil_api_url: str = _variable("FULFIL_API_URL", "", _text)
    auto_approve_max_risk: int = _variable("AUTO_APPROVE_MAX_RISK", -1, _integer(-1, 100))
    approval_timeout_seconds: int = _variable("APPROVAL_TIMEOUT_SECONDS", 86400, _integer(1))
    max_webhook_bytes: int = _variable("MAX_WEBHOOK_BYTES", 262144, _integer(1))
    # Older webhooks start and decide nothing (domain.freshness): at least Jira's retry window.
    webhook_max_age_seconds: int = _variable(
        "WEBHOOK_MAX_AGE_SECONDS",
        int(freshness.DEFAULT_MAX_AGE.total_seconds()),
        _integer(
            int(freshness.JIRA_RETRY_WINDOW.total_seconds()),
            int(freshness.LONGEST_MAX_AGE.total_seconds()),
        ),
    )
    http_timeout_seconds: float = _variable("HTTP_TIMEOUT_SECONDS", 10.0, _positive_number)
    secrets_max_age_seconds: int = _variable("SECRETS_MAX_AGE_SECONDS", 300, _integer(0))
    # 30 days at most: a longer window is a backfill, an operator's decision, not a schedule's.
    reconcile_lookback_hours: int = _variable("RECONCILE_LOOKBACK_HOURS", 24, _integer(1, 720))
    # A plain Jira issue (no description) is a valid request unless a rule says otherwise.
    required_fields: RequiredFields = _variable(  # noqa: RUF009 - frozen, so shared safely
        "REQUIRED_FIELDS", RequiredFields(), _required_fields
    )
    # API keys that may decide (POST /jira/callback), by id, with the name recorded as actor;
    # any other key (the read key) is refused. None set: nobody may decide by callback.
    decision_api_keys: tuple[tuple[str, str], ...] = _variable(
        "DECISION_KEY_IDS", _NO_KEYS, _named_keys
    )
    # Who may decide by moving the issue in Jira: members of this group. Unset: any user
    # who can move the issue (Terraform requires it in prod).
    approver_group: str = _variable("JIRA_APPROVER_GROUP", "", _text)
    trigger: TriggerSettings = field(default_factory=TriggerSettings)

    def decision_key_name(self, api_key_id: str | None) -> str | None:
        """The caller's name when `api_key_id` may decide; None when it may not."""
        return dict(self.decision_api_keys).get(api_key_id or "")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from the environment; a bad value names its variable."""
        env = os.environ if environ is None else environ
        invalid: list[str] = []
        values = _read(cls, env, invalid)
        if invalid:
            raise ValueError(f"invalid environment settings: {', '.join(invalid)}")
        return cls(**values, trigger=TriggerSettings.from_env(env))

    @classmethod
    def environment_names(cls) -> tuple[str, ...]:
        """Every variable the settings read, for callers that key caches on them."""
        return (*_names(cls), *_names(TriggerSettings))
