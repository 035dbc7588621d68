"""Settings.from_env: lists, defaults, and a bad value named by its variable."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from jira_workflow.models.settings import Settings, TriggerSettings

DESIGN = Path(__file__).resolve().parents[2] / "docs" / "design.md"


def test_empty_environment_gives_the_documented_defaults() -> None:
    settings = Settings.from_env({})

    assert settings.requests_table == ""
    assert settings.auto_approve_max_risk == -1
    assert settings.approval_timeout_seconds == 86400
    assert settings.max_webhook_bytes == 262144
    assert settings.http_timeout_seconds == 10.0
    assert settings.reconcile_lookback_hours == 24
    assert settings.webhook_max_age_seconds == 3600
    assert settings.trigger.project_keys == ()
    assert settings.trigger.issue_types == ()
    assert settings.trigger.trigger_status == "Submitted"
    assert settings.trigger.approve_status == "Approved"
    assert settings.trigger.reject_status == "Rejected"
    assert settings.trigger.approval_pending_status == ""
    assert settings.trigger.done_status == ""
    assert settings.trigger.failed_status == ""
    # A plain Jira issue, created without a description, is a valid request.
    assert settings.required_fields.for_request("OPS", "Task") == ("summary",)


def test_required_fields_are_read_per_project_and_issue_type() -> None:
    settings = Settings.from_env(
        {"REQUIRED_FIELDS": "OPS/Service Request=summary,description; OPS=summary,priority;*="}
    )

    rules = settings.required_fields
    assert rules.for_request("OPS", "Service Request") == ("summary", "description")
    assert rules.for_request("OPS", "Task") == ("summary", "priority")
    assert rules.for_request("IT", "Task") == ()


def test_values_are_read_from_their_variables() -> None:
    settings = Settings.from_env(
        {
            "REQUESTS_TABLE": "requests",
            "ARTIFACTS_BUCKET": "artifacts",
            "STATE_MACHINE_ARN": "arn:aws:states:eu-west-1:123456789012:stateMachine:wf",
            "AUTO_APPROVE_MAX_RISK": "30",
            "APPROVAL_TIMEOUT_SECONDS": "3600",
            "MAX_WEBHOOK_BYTES": "1024",
            "HTTP_TIMEOUT_SECONDS": "2.5",
            "TRIGGER_STATUS": "Ready",
            "DONE_STATUS": "Done",
            "UNRELATED_VARIABLE": "ignored",
        }
    )

    assert settings.requests_table == "requests"
    assert settings.artifacts_bucket == "artifacts"
    assert settings.state_machine_arn.endswith(":wf")
    assert settings.auto_approve_max_risk == 30
    assert settings.approval_timeout_seconds == 3600
    assert settings.max_webhook_bytes == 1024
    assert settings.http_timeout_seconds == 2.5
    assert settings.trigger.trigger_status == "Ready"
    assert settings.trigger.done_status == "Done"


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("OPS", ("OPS",)),
        ("OPS,IT", ("OPS", "IT")),
        (" OPS , IT ", ("OPS", "IT")),
        ("OPS,,IT,", ("OPS", "IT")),
        (" , ,", ()),
        ("", ()),
    ],
)
def test_csv_lists_are_trimmed_and_empty_parts_dropped(raw: str, parsed: tuple[str, ...]) -> None:
    settings = Settings.from_env({"TRIGGER_PROJECT_KEYS": raw, "TRIGGER_ISSUE_TYPES": raw})

    assert settings.trigger.project_keys == parsed
    assert settings.trigger.issue_types == parsed


def test_issue_types_keep_inner_spaces() -> None:
    settings = Settings.from_env({"TRIGGER_ISSUE_TYPES": "Service Request, Task "})

    assert settings.trigger.issue_types == ("Service Request", "Task")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AUTO_APPROVE_MAX_RISK", "abc"),
        ("AUTO_APPROVE_MAX_RISK", "101"),
        ("AUTO_APPROVE_MAX_RISK", "-2"),
        ("AUTO_APPROVE_MAX_RISK", "1.5"),
        ("APPROVAL_TIMEOUT_SECONDS", "0"),
        ("APPROVAL_TIMEOUT_SECONDS", "one day"),
        ("MAX_WEBHOOK_BYTES", "-1"),
        ("HTTP_TIMEOUT_SECONDS", "0"),
        ("HTTP_TIMEOUT_SECONDS", "fast"),
        ("SECRETS_MAX_AGE_SECONDS", "-1"),
        ("RECONCILE_LOOKBACK_HOURS", "0"),
        ("RECONCILE_LOOKBACK_HOURS", "721"),
        ("RECONCILE_LOOKBACK_HOURS", "1.5"),
        ("WEBHOOK_MAX_AGE_SECONDS", "1799"),  # shorter than Jira's own retries
        ("WEBHOOK_MAX_AGE_SECONDS", "604801"),
        ("REQUIRED_FIELDS", "summary,colour"),
        ("REQUIRED_FIELDS", "=summary"),
        ("REQUIRED_FIELDS", "*=summary;*=description"),
        ("REQUIRED_FIELDS", " ; "),
    ],
)
def test_bad_value_raises_value_error_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=re.escape(name)) as raised:
        Settings.from_env({name: value})

    assert value not in str(raised.value).replace(name, "")  # names, never echoes, the value


def test_every_bad_variable_is_named_at_once() -> None:
    with pytest.raises(ValueError) as raised:
        Settings.from_env({"AUTO_APPROVE_MAX_RISK": "abc", "MAX_WEBHOOK_BYTES": "0"})

    assert "AUTO_APPROVE_MAX_RISK" in str(raised.value)
    assert "MAX_WEBHOOK_BYTES" in str(raised.value)


@pytest.mark.parametrize("value", ["-1", "0", "100"])
def test_auto_approve_limit_bounds_are_accepted(value: str) -> None:
    assert Settings.from_env({"AUTO_APPROVE_MAX_RISK": value}).auto_approve_max_risk == int(value)


def test_from_env_reads_the_process_environment_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REQUESTS_TABLE", "from-process")
    monkeypatch.setenv("TRIGGER_PROJECT_KEYS", "OPS, IT")

    settings = Settings.from_env()

    assert settings.requests_table == "from-process"
    assert settings.trigger.project_keys == ("OPS", "IT")


def test_environment_names_cover_every_field_alias() -> None:
    names = Settings.environment_names()
    aliases = {
        field.metadata.get("env") for field in fields(Settings) if field.name != "trigger"
    } | {field.metadata.get("env") for field in fields(TriggerSettings)}

    assert None not in aliases  # every field is read from a named variable
    assert set(names) == aliases
    assert len(names) == len(set(names))


def test_environment_names_cover_every_documented_variable() -> None:
    section = DESIGN.read_text().split("## Environment variables", 1)[1].split("\n## ", 1)[0]
    variables = set()
    for row in re.findall(r"^\|([^|]*)\|", section, flags=re.MULTILINE):
        variables |= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", row))
    # Powertools reads its own; MOCK_FAULTS is read by the mock API alone.
    documented = {
        name
        for name in variables
        if not name.startswith("POWERTOOLS_") and name not in {"LOG_LEVEL", "MOCK_FAULTS"}
    }

    assert {"APPROVE_STATUS", "REJECT_STATUS", "REQUESTS_TABLE"} <= documented, "table not found"
    assert documented <= set(Settings.environment_names())


def test_each_environment_name_reaches_its_field() -> None:
    # Set every variable to a distinct valid value and see it arrive somewhere.
    numeric = {
        "AUTO_APPROVE_MAX_RISK": "7",
        "APPROVAL_TIMEOUT_SECONDS": "11",
        "MAX_WEBHOOK_BYTES": "13",
        "HTTP_TIMEOUT_SECONDS": "17",
        "SECRETS_MAX_AGE_SECONDS": "19",
        "RECONCILE_LOOKBACK_HOURS": "23",
        "WEBHOOK_MAX_AGE_SECONDS": "2029",
        "REQUIRED_FIELDS": "OPS/Task=summary,labels",
        "DECISION_KEY_IDS": "k1=jira-automation",
    }
    env = {name: numeric.get(name, f"value-of-{name}") for name in Settings.environment_names()}

    settings = Settings.from_env(env)

    dumped = {**by_variable(settings), **by_variable(settings.trigger)}
    for name, value in env.items():
        got = dumped[name]
        if isinstance(got, tuple):
            got = tuple("=".join(g) if isinstance(g, tuple) else g for g in got)
        shown = ",".join(got) if isinstance(got, tuple) else str(got)
        assert shown.removesuffix(".0") == value, name


def by_variable(settings: Settings | TriggerSettings) -> dict[str, Any]:
    """Each field's value keyed by the variable it is read from."""
    return {f.metadata["env"]: getattr(settings, f.name) for f in fields(settings) if f.metadata}


@pytest.mark.parametrize("raw", ["k1", "=name", "k1=", "k1=a,k2"])
def test_decision_api_keys_need_an_id_and_a_name_each(raw: str) -> None:
    with pytest.raises(ValueError, match="DECISION_KEY_IDS"):
        Settings.from_env({"DECISION_KEY_IDS": raw})


def test_only_a_listed_key_id_is_a_decider() -> None:
    settings = Settings.from_env({"DECISION_KEY_IDS": "k1=jira-automation, k2=ops"})

    assert [settings.decision_key_name(k) for k in ("k1", "k2", "k3", None)] == [
        "jira-automation",
        "ops",
        None,
        None,
    ]
