"""The plan view: unknown versus unset, and tracing values through module boundaries."""

from __future__ import annotations

import json
from pathlib import Path

from workflow_tools.preflight.plan import UNKNOWN, Plan, module_path_of

FIXTURE = Path(__file__).parent / "fixtures" / "preflight" / "prod_pass.plan.json"


def plan() -> Plan:
    return Plan.from_dict(json.loads(FIXTURE.read_text()))


def test_module_path_is_read_from_instance_addresses() -> None:
    assert module_path_of('module.a["x"].module.b.aws_s3_bucket.this[0]') == ("a", "b")
    assert module_path_of("aws_s3_bucket.this") == ()


def test_value_known_only_after_apply_is_unknown_not_missing() -> None:
    topic = plan().by_config_address("module.monitoring.aws_sns_topic.alerts")[0]
    assert topic.get("kms_master_key_id") is UNKNOWN
    assert topic.get("delivery_policy") is None
    assert topic.get("name") == "jwf-prod-alerts"


def test_module_variable_is_traced_to_the_callers_resource() -> None:
    view = plan()
    group = view.by_config_address("module.functions.aws_cloudwatch_log_group.this")[0]
    assert view.sources(group, "kms_key_id") == {"module.kms.aws_kms_key.this"}


def test_module_variable_then_output_is_traced_into_the_sibling_module() -> None:
    view = plan()
    schedule = view.by_config_address("module.scheduler.aws_scheduler_schedule.this")[0]
    assert view.sources(schedule, "target.0.arn") == {"module.functions.aws_lambda_function.this"}


def test_deferred_data_sources_are_read_from_resource_changes() -> None:
    docs = plan().of_type("aws_iam_policy_document", mode="data")
    assert any(d.get("statement.0.effect") == "Deny" for d in docs)
