"""Preflight rules against plan fixtures made by planning the real terraform/ as prod.

prod_pass.plan.json is prod.tfvars (plus a custom domain); prod_weak.plan.json adds the
weakening tfvars and override files that break one thing per rule. Both are written by
fixtures/preflight/regenerate.py (`make preflight-fixtures`).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from workflow_tools.preflight import rules as _rules  # noqa: F401 - registers the rules
from workflow_tools.preflight.cli import main
from workflow_tools.preflight.expectations import expectations_for
from workflow_tools.preflight.plan import UNKNOWN, Plan
from workflow_tools.preflight.registry import REGISTRY, Context, Status
from workflow_tools.preflight.report import failures, render_table, run_rules

FIXTURES = Path(__file__).parent / "fixtures" / "preflight"
ASL: dict[str, Any] = {
    "StartAt": "RequestApproval",
    "TimeoutSeconds": "${state_machine_timeout_seconds}",
    "States": {
        "RequestApproval": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "TimeoutSeconds": "${approval_timeout_seconds}",
            "End": True,
        }
    },
}
# Rules the weakened plan must fail: every rule except those whose item it cannot weaken.
NOT_WEAKENED = {
    "environment_matches_workspace",
    "region_configured",
    "backend_s3_lockfile",  # read from the repo, not the plan
    "alerts_topic",
    "dashboard_present",
    "alarm_execution_failures",
    "alarm_lambda_errors",
    "alarm_api_5xx",
    "alarm_execution_duration",
    "api_request_validation",
    "lambda_log_groups",
}


def load(name: str) -> dict[str, Any]:
    raw: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return raw


@pytest.fixture(scope="module")
def strong_raw() -> dict[str, Any]:
    return load("prod_pass.plan.json")


@pytest.fixture(scope="module")
def weak_raw() -> dict[str, Any]:
    return load("prod_weak.plan.json")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repo root with what the plan cannot show: the backend block and the ASL template."""
    (tmp_path / "terraform" / "environments").mkdir(parents=True)
    (tmp_path / "terraform" / "versions.tf").write_text('terraform {\n  backend "s3" {}\n}\n')
    (tmp_path / "terraform" / "environments" / "prod.s3.tfbackend").write_text(
        'bucket       = "jwf-state"\nkey          = "jira-workflow.tfstate"\nuse_lockfile = true\n'
    )
    (tmp_path / "statemachine").mkdir()
    text = json.dumps(ASL)
    for name in ("approval_timeout_seconds", "state_machine_timeout_seconds"):
        text = text.replace(f'"${{{name}}}"', f"${{{name}}}")  # numbers are unquoted
    (tmp_path / "statemachine" / "request_workflow.asl.json").write_text(text)
    return tmp_path


def check(raw: dict[str, Any], repo: Path, env: str = "prod") -> dict[str, Status]:
    ctx = Context(plan=Plan.from_dict(raw), expect=expectations_for(env), repo_root=repo)
    return {r.rule.name: r.outcome.status for r in run_rules(ctx)}


def outcome(raw: dict[str, Any], repo: Path, name: str, env: str = "prod") -> tuple[Status, str]:
    ctx = Context(plan=Plan.from_dict(raw), expect=expectations_for(env), repo_root=repo)
    result = REGISTRY[name].check(ctx)
    return result.status, result.detail


# ---- the two fixtures -----------------------------------------------------------------------


def test_strong_prod_plan_passes_every_rule(strong_raw: dict[str, Any], repo: Path) -> None:
    statuses = check(strong_raw, repo)
    assert {n for n, s in statuses.items() if s is Status.FAIL} == set()
    assert {n for n, s in statuses.items() if s is Status.SKIP} == set()


@pytest.mark.parametrize("name", sorted(set(REGISTRY) - NOT_WEAKENED))
def test_weakened_prod_plan_fails_rule(weak_raw: dict[str, Any], repo: Path, name: str) -> None:
    status, detail = outcome(weak_raw, repo, name)
    assert status is Status.FAIL, detail
    assert detail


def test_weakened_plan_table_names_rule_item_and_reason(
    weak_raw: dict[str, Any], repo: Path
) -> None:
    ctx = Context(Plan.from_dict(weak_raw), expectations_for("prod"), repo)
    results = run_rules(ctx)
    table = render_table(results, "prod")
    assert "dynamodb_pitr" in table
    assert "Configure DynamoDB point-in-time recovery" in table
    assert "aws_dynamodb_table.requests: PITR off" in table
    assert f"{len(failures(results))} failed" in table.splitlines()[-1]


def test_secret_value_never_appears_in_the_report(weak_raw: dict[str, Any], repo: Path) -> None:
    ctx = Context(Plan.from_dict(weak_raw), expectations_for("prod"), repo)
    table = render_table(run_rules(ctx), "prod")
    assert "secret_string would be stored in state" in table
    assert "EXTERNAL_API_TOKEN holds a value, not a secret ARN" in table
    assert "fixture-not-a-secret" not in table
    assert "fixture-plaintext-token" not in table


# ---- per-environment expectations ---------------------------------------------------------


def test_dev_skips_what_only_prod_requires(weak_raw: dict[str, Any], repo: Path) -> None:
    statuses = check(weak_raw, repo, env="dev")
    assert statuses["lambda_reserved_concurrency"] is Status.SKIP
    assert statuses["s3_access_logging"] is Status.SKIP
    assert statuses["cost_budget"] is Status.SKIP
    assert statuses["environment_matches_workspace"] is Status.FAIL  # plan says prod


def test_local_relaxes_tracing_pitr_and_backend(weak_raw: dict[str, Any], repo: Path) -> None:
    statuses = check(weak_raw, repo, env="local")
    for name in ("xray_tracing", "dynamodb_pitr", "backend_s3_lockfile", "insights_queries"):
        assert statuses[name] is Status.SKIP, name
    assert statuses["kms_key_rotation"] is Status.FAIL  # encryption is never optional


def test_log_retention_minimum_is_stricter_in_prod(strong_raw: dict[str, Any], repo: Path) -> None:
    raw = copy.deepcopy(strong_raw)
    for module in raw["planned_values"]["root_module"]["child_modules"]:
        for resource in module["resources"]:
            if resource["type"] == "aws_cloudwatch_log_group":
                resource["values"]["retention_in_days"] = 30
    assert outcome(raw, repo, "log_retention", env="staging")[0] is Status.PASS
    status, detail = outcome(raw, repo, "log_retention", env="prod")
    assert status is Status.FAIL
    assert "30 days < 90" in detail


def test_unknown_environment_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown environment"):
        expectations_for("qa")


# ---- rules that read the repository ---------------------------------------------------------


def test_backend_without_lockfile_fails(strong_raw: dict[str, Any], repo: Path) -> None:
    (repo / "terraform" / "environments" / "prod.s3.tfbackend").write_text(
        'bucket = "jwf-state"\ndynamodb_table = "locks"\n'
    )
    status, detail = outcome(strong_raw, repo, "backend_s3_lockfile")
    assert status is Status.FAIL
    assert "use_lockfile" in detail
    assert "deprecated" in detail


def test_local_backend_fails_in_prod(strong_raw: dict[str, Any], repo: Path) -> None:
    (repo / "terraform" / "versions.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    assert outcome(strong_raw, repo, "backend_s3_lockfile")[1].startswith(
        'terraform/ declares backend "local"'
    )


def test_asl_without_approval_timeout_fails(strong_raw: dict[str, Any], repo: Path) -> None:
    asl = copy.deepcopy(ASL)
    del asl["States"]["RequestApproval"]["TimeoutSeconds"]
    (repo / "statemachine" / "request_workflow.asl.json").write_text(json.dumps(asl))
    status, detail = outcome(strong_raw, repo, "approval_timeout")
    assert status is Status.FAIL
    assert "callback task without TimeoutSeconds" in detail


# ---- targeted weakenings of the strong plan -------------------------------------------------


def _planned_resource(raw: dict[str, Any], address: str) -> dict[str, Any]:
    modules = [raw["planned_values"]["root_module"]]
    while modules:
        module = modules.pop()
        for resource in module.get("resources", []):
            if resource["address"] == address:
                found: dict[str, Any] = resource
                return found
        modules += module.get("child_modules", [])
    raise KeyError(address)


FAILED_EXECUTIONS_ALARM = 'module.monitoring.aws_cloudwatch_metric_alarm.this["executions-failed"]'


def test_alarm_without_actions_is_not_wired(strong_raw: dict[str, Any], repo: Path) -> None:
    raw = copy.deepcopy(strong_raw)
    _planned_resource(raw, FAILED_EXECUTIONS_ALARM)["values"]["alarm_actions"] = []
    for change in raw["resource_changes"]:
        if change["address"] == FAILED_EXECUTIONS_ALARM:
            change["change"]["after_unknown"]["alarm_actions"] = []
    status, detail = outcome(raw, repo, "alarms_notify_sns")
    assert status is Status.FAIL
    assert 'this["executions-failed"]' in detail


def test_environment_variable_must_match_workspace(strong_raw: dict[str, Any], repo: Path) -> None:
    raw = copy.deepcopy(strong_raw)
    raw["variables"]["environment"]["value"] = "dev"
    status, detail = outcome(raw, repo, "environment_matches_workspace")
    assert status is Status.FAIL
    assert "'dev'" in detail


def test_asl_without_execution_timeout_fails(strong_raw: dict[str, Any], repo: Path) -> None:
    asl = copy.deepcopy(ASL)
    del asl["TimeoutSeconds"]
    (repo / "statemachine" / "request_workflow.asl.json").write_text(json.dumps(asl))
    status, detail = outcome(strong_raw, repo, "approval_timeout")
    assert status is Status.FAIL
    assert "no top-level TimeoutSeconds" in detail


def test_approval_timeout_longer_than_execution_fails(
    strong_raw: dict[str, Any], repo: Path
) -> None:
    raw = copy.deepcopy(strong_raw)
    raw["variables"]["state_machine_timeout_seconds"]["value"] = 3600
    status, detail = outcome(raw, repo, "approval_timeout")
    assert status is Status.FAIL
    assert "state_machine_timeout_seconds 3600" in detail


def test_a_crashing_rule_fails_without_hiding_others(
    strong_raw: dict[str, Any], repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(ctx: Context) -> Any:
        raise KeyError("surprise")

    broken = REGISTRY["dashboard_present"]
    monkeypatch.setitem(
        REGISTRY, "dashboard_present", type(broken)(**{**broken.__dict__, "check": boom})
    )
    statuses = check(strong_raw, repo)
    assert statuses["dashboard_present"] is Status.FAIL
    assert statuses["alerts_topic"] is Status.PASS


# ---- the command ----------------------------------------------------------------------------


def test_cli_exits_zero_on_a_passing_plan(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "--env",
            "prod",
            "--plan-json",
            str(FIXTURES / "prod_pass.plan.json"),
            "--rule",
            "dynamodb_pitr",
            "--rule",
            "s3_versioning",
        ]
    )
    assert code == 0
    assert "2 passed, 0 failed" in capsys.readouterr().out


def test_cli_exits_non_zero_with_a_table_on_a_weak_plan(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--env", "prod", "--plan-json", str(FIXTURES / "prod_weak.plan.json")])
    out = capsys.readouterr().out
    assert code == 1
    assert out.splitlines()[0].split() == ["RULE", "CHECKLIST", "ITEM", "RESULT", "DETAIL"]
    assert "FAIL" in out


def test_cli_json_format(capsys: pytest.CaptureFixture[str]) -> None:
    main(
        [
            "--env",
            "prod",
            "--format",
            "json",
            "--rule",
            "s3_versioning",
            "--plan-json",
            str(FIXTURES / "prod_pass.plan.json"),
        ]
    )
    document = json.loads(capsys.readouterr().out)
    assert document["results"][0]["rule"] == "s3_versioning"
    assert document["results"][0]["result"] == "PASS"


def test_cli_reports_an_unreadable_plan_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "plan.json"
    bad.write_text('{"hello": "world"}')
    assert main(["--env", "prod", "--plan-json", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("preflight: not a Terraform plan JSON")
    assert "\n" not in err


def test_cli_requires_an_environment(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--plan-json", "x.json"]) == 2
    assert "--env is required" in capsys.readouterr().err


# ---- values known only after apply are judged, not skipped ---------------------------------


def _common_env(raw: dict[str, Any]) -> dict[str, Any]:
    after: dict[str, Any] = raw["output_changes"]["lambda_environment"]["after"]
    return after


def test_function_environment_is_unknown_in_the_plan(strong_raw: dict[str, Any]) -> None:
    """The premise: the planned functions' environment is known only after apply."""
    fn = Plan.from_dict(strong_raw).of_type("aws_lambda_function")[0]
    assert fn.get("environment.0.variables") is UNKNOWN


def test_http_endpoint_in_the_traced_environment_fails(
    strong_raw: dict[str, Any], repo: Path
) -> None:
    raw = copy.deepcopy(strong_raw)
    _common_env(raw)["ENRICH_API_URL"] = "http://enrichment.example.com/v1/enrich"
    status, detail = outcome(raw, repo, "production_endpoints")
    assert status is Status.FAIL
    assert "ENRICH_API_URL is not https" in detail


def test_https_is_required_outside_local_only(strong_raw: dict[str, Any], repo: Path) -> None:
    raw = copy.deepcopy(strong_raw)
    _common_env(raw)["FULFIL_API_URL"] = "http://fulfilment.example.com/v1/fulfil"
    assert outcome(raw, repo, "production_endpoints", env="dev")[0] is Status.FAIL
    assert outcome(raw, repo, "production_endpoints", env="local")[0] is Status.SKIP


def test_token_value_in_the_traced_environment_fails(
    strong_raw: dict[str, Any], repo: Path
) -> None:
    raw = copy.deepcopy(strong_raw)
    _common_env(raw)["JIRA_API_TOKEN"] = "fixture-plaintext-token"
    status, detail = outcome(raw, repo, "lambda_env_without_secrets")
    assert status is Status.FAIL
    assert "JIRA_API_TOKEN holds a value" in detail
    assert "fixture-plaintext-token" not in detail


def test_unknown_secret_looking_value_is_not_passed(strong_raw: dict[str, Any], repo: Path) -> None:
    raw = copy.deepcopy(strong_raw)
    raw["output_changes"]["lambda_environment"]["after_unknown"]["JIRA_API_TOKEN"] = True
    status, detail = outcome(raw, repo, "lambda_env_without_secrets")
    assert status is Status.FAIL
    assert "JIRA_API_TOKEN is known only after apply" in detail


def test_debug_log_level_fails_in_prod_only(strong_raw: dict[str, Any], repo: Path) -> None:
    raw = copy.deepcopy(strong_raw)
    _common_env(raw)["LOG_LEVEL"] = "DEBUG"
    status, detail = outcome(raw, repo, "lambda_log_level")
    assert status is Status.FAIL
    assert "LOG_LEVEL is DEBUG" in detail
    assert outcome(raw, repo, "lambda_log_level", env="dev")[0] is Status.SKIP


def test_pager_endpoint_over_http_fails_without_printing_it(
    strong_raw: dict[str, Any], repo: Path
) -> None:
    raw = copy.deepcopy(strong_raw)
    raw["variables"]["pager_endpoint"] = {"value": "http://events.example/integration/KEY123/x"}
    status, detail = outcome(raw, repo, "production_endpoints")
    assert status is Status.FAIL
    assert "pager_endpoint is not an https:// URL" in detail
    assert "KEY123" not in detail


# ---- prod's gaps fail unless waived -----------------------------------------------------------


def _without(raw: dict[str, Any], rtype: str) -> dict[str, Any]:
    raw = copy.deepcopy(raw)
    modules = [raw["planned_values"]["root_module"]]
    while modules:
        module = modules.pop()
        module["resources"] = [r for r in module.get("resources", []) if r["type"] != rtype]
        modules += module.get("child_modules", [])
    raw["resource_changes"] = [r for r in raw["resource_changes"] if r["type"] != rtype]
    return raw


def test_prod_without_waf_fails_and_a_waiver_is_printed(
    strong_raw: dict[str, Any], repo: Path
) -> None:
    raw = _without(strong_raw, "aws_wafv2_web_acl_association")
    raw["variables"]["waf_acl_arn"] = {"value": None}
    assert outcome(raw, repo, "api_waf")[0] is Status.FAIL
    assert outcome(raw, repo, "api_waf", env="staging")[0] is Status.SKIP
    raw["variables"]["preflight_waivers"] = {"value": {"api_waf": "behind CloudFront's web ACL"}}
    ctx = Context(Plan.from_dict(raw), expectations_for("prod"), repo)
    results = run_rules(ctx)
    table = render_table(results, "prod")
    assert "WAIVED" in table
    assert "waived in tfvars: behind CloudFront's web ACL" in table
    assert table.splitlines()[-1].endswith("1 waived")
    assert not failures(results)


def test_a_waiver_for_another_rule_does_not_waive(strong_raw: dict[str, Any], repo: Path) -> None:
    raw = _without(strong_raw, "aws_sns_topic_subscription")
    raw["variables"]["preflight_waivers"] = {"value": {"api_waf": "behind CloudFront's web ACL"}}
    status, detail = outcome(raw, repo, "alarm_subscriptions")
    assert status is Status.FAIL
    assert "nobody is subscribed" in detail


def test_throttling_bound_follows_reserved_concurrency(
    strong_raw: dict[str, Any], repo: Path
) -> None:
    raw = copy.deepcopy(strong_raw)
    raw["variables"]["lambda_reserved_concurrency"]["value"] = 2  # serves at most 40/s
    status, detail = outcome(raw, repo, "api_throttling")
    assert status is Status.FAIL
    assert "above 40/80" in detail


def test_a_refused_variable_is_named_in_the_one_line_reason() -> None:
    """`make preflight` prints terraform's reason: for a failed validation, its message."""
    from local_cloud.terraform_local import _last_error

    stderr = "\n".join(
        [
            "╷",
            "│ Error: Invalid value for variable",
            "│",
            "│   on weakened_prod/http_external_api.tfvars line 3:",
            '│    3: enrich_api_url = "http://enrichment.example.com/v1/enrich"',
            "│     ├────────────────",
            '│     │ var.environment is "prod"',
            "│",
            "│ enrich_api_url must be an https:// URL (http:// only in the local",
            "│ environment) or null.",
            "│",
            "│ This was checked by the validation rule at variables.tf:331,3-13.",
            "╵",
        ]
    )
    assert _last_error(stderr) == (
        "Error: Invalid value for variable on weakened_prod/http_external_api.tfvars line 3: "
        "enrich_api_url must be an https:// URL (http:// only in the local environment) or null."
    )
