"""Lambda functions, their logs, the state machine and its schedule."""

from __future__ import annotations

import json
import re
from typing import Any

from workflow_tools.preflight.plan import UNKNOWN, Plan, Resource
from workflow_tools.preflight.registry import Context, Outcome, failed, rule, skipped, verdict
from workflow_tools.preflight.rules.common import function_env, handler_key, is_set

INFRA = "Pre-Deployment / Infrastructure Review"
SECURITY = "Pre-Deployment / Security Hardening"
LAMBDA = "Deployment / Lambda Functions"
SFN = "Deployment / Step Functions"
SECRETS = "Production Configuration / Secrets Manager"
COMPLIANCE = "Compliance & Governance / Compliance"

API_FACING = {"webhook", "callback", "status", "mock_external_api"}
API_GATEWAY_TIMEOUT_SECONDS = 29  # REST API integration limit: a slower Lambda answers 504
LAMBDA_MAX_TIMEOUT_SECONDS = 900
ENDPOINT_VARIABLES = ("JIRA_BASE_URL", "ENRICH_API_URL", "FULFIL_API_URL")
CALLBACK_TASK = "arn:aws:states:::lambda:invoke.waitForTaskToken"


def functions(plan: Plan) -> list[Resource]:
    return plan.of_type("aws_lambda_function")


def _no_functions() -> Outcome:
    return failed("the plan has no aws_lambda_function")


# ---- Lambda ------------------------------------------------------------------------------


@rule("lambda_reserved_concurrency", LAMBDA, "Configure reserved concurrency")
def lambda_reserved_concurrency(ctx: Context) -> Outcome:
    fns = functions(ctx.plan)
    if not fns:
        return _no_functions()
    unreserved = [
        f.address
        for f in fns
        if not isinstance(f.get("reserved_concurrent_executions"), int)
        or f.get("reserved_concurrent_executions") < 1
    ]
    if unreserved and not ctx.expect.require_reserved_concurrency:
        return skipped(f"unreserved concurrency allowed in {ctx.expect.environment}")
    problems = (f"{a}: no reserved concurrency" for a in unreserved)
    return verdict(problems, f"{len(fns)} function(s) with reserved concurrency")


@rule("lambda_timeouts", LAMBDA, "Set appropriate timeout values")
def lambda_timeouts(ctx: Context) -> Outcome:
    fns = functions(ctx.plan)
    if not fns:
        return _no_functions()
    problems = []
    for fn in fns:
        timeout = fn.get("timeout")
        limit = (
            API_GATEWAY_TIMEOUT_SECONDS
            if handler_key(fn) in API_FACING
            else LAMBDA_MAX_TIMEOUT_SECONDS
        )
        if not isinstance(timeout, int) or timeout == 3:
            problems.append(f"{fn.address}: timeout left at the default")
        elif timeout > limit:
            problems.append(f"{fn.address}: timeout {timeout}s > {limit}s")
    return verdict(problems, f"API functions <= {API_GATEWAY_TIMEOUT_SECONDS}s, others explicit")


def _on_our_key(plan: Plan, fn: Resource) -> bool:
    """kms_key_arn is a customer-managed key: a KMS ARN, or (unknown) one of our aws_kms_key."""
    value = fn.get("kms_key_arn")
    if isinstance(value, str):
        return value.startswith("arn:") and ":kms:" in value
    return value is UNKNOWN and bool(plan.sources_of_type(fn, "kms_key_arn", "aws_kms_key"))


@rule("lambda_env_kms_encryption", SECRETS, "Configure KMS encryption")
def lambda_env_kms_encryption(ctx: Context) -> Outcome:
    fns = functions(ctx.plan)
    problems = [
        f"{f.address}: environment not encrypted with our key (no kms_key_arn)"
        for f in fns
        if is_set(f.get("environment.0.variables")) and not _on_our_key(ctx.plan, f)
    ]
    return verdict(problems, f"{len(fns)} function environment(s) on our KMS key")


SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD", "API_KEY", "PRIVATE_KEY")


@rule("lambda_env_without_secrets", LAMBDA, "Update authentication tokens in Secrets Manager")
def lambda_env_without_secrets(ctx: Context) -> Outcome:
    """Secrets are read from Secrets Manager at run time; the environment holds only ARNs."""
    problems = []
    for fn in functions(ctx.plan):
        for name, value in function_env(ctx.plan, fn).items():
            if name == "(environment)":
                problems.append(f"{fn.address}: environment unknown until apply and untraceable")
                continue
            looks_secret = any(word in name.upper() for word in SECRET_WORDS)
            if not looks_secret or name.upper().endswith("_ARN"):
                continue
            # the value itself is never printed
            if value is UNKNOWN:
                problems.append(f"{fn.address}: {name} is known only after apply: name it *_ARN")
            elif not (isinstance(value, str) and value.startswith("arn:")):
                problems.append(f"{fn.address}: {name} holds a value, not a secret ARN")
    return verdict(problems, "function environments hold secret ARNs, never values")


@rule("lambda_vpc", SECURITY, "Enable VPC for Lambda functions")
def lambda_vpc(ctx: Context) -> Outcome:
    if ctx.plan.variable("enable_vpc") is not True:
        return skipped("enable_vpc is false: functions call only AWS APIs and HTTPS endpoints")
    problems = [
        f"{f.address}: no subnets"
        for f in functions(ctx.plan)
        if not is_set(f.get("vpc_config.0.subnet_ids"))
    ]
    return verdict(problems, "every function in the VPC's private subnets")


# Root variables that name an endpoint the deployment sends data (and tokens) to.
ENDPOINT_TF_VARIABLES = ("jira_base_url", "enrich_api_url", "fulfil_api_url", "pager_endpoint")


def _endpoint_problems(ctx: Context, mocks_on: bool) -> list[str]:
    problems = [
        # the value is not printed: the pager's URL holds its integration key
        f"variable {name} is not an https:// URL"
        for name in ENDPOINT_TF_VARIABLES
        if isinstance(ctx.plan.variable(name), str)
        and not str(ctx.plan.variable(name)).startswith("https://")
    ]
    for fn in functions(ctx.plan):
        for name, value in function_env(ctx.plan, fn).items():
            if name not in ENDPOINT_VARIABLES:
                continue
            if value is UNKNOWN:
                if not mocks_on:  # with mocks: https://<api id>.execute-api..., built at apply
                    problems.append(f"{fn.address}: {name} is known only after apply")
            elif not isinstance(value, str) or not value.startswith("https://"):
                problems.append(f"{fn.address}: {name} is not https")
            elif "/mock/" in value and ctx.expect.require_production_endpoints:
                problems.append(f"{fn.address}: {name} points at the mock API")
    return problems


@rule("production_endpoints", LAMBDA, "Replace mock APIs with production APIs")
def production_endpoints(ctx: Context) -> Outcome:
    """No mocks in staging and prod; every endpoint https outside the emulator."""
    if ctx.expect.environment == "local":
        return skipped("local: the emulator and its fake Jira answer plain http on 127.0.0.1")
    problems = []
    mocks_on = ctx.plan.variable("enable_mock_apis") is True
    if ctx.expect.require_production_endpoints:
        if mocks_on:
            problems.append("enable_mock_apis is true")
        problems += [
            f"{f.address}: mock API deployed"
            for f in functions(ctx.plan)
            if handler_key(f) == "mock_external_api"
        ]
    problems += _endpoint_problems(ctx, mocks_on)
    mocks = "mock APIs allowed" if not ctx.expect.require_production_endpoints else "no mock APIs"
    return verdict(problems, f"{mocks}; Jira, external and pager endpoints are https")


@rule("lambda_log_level", COMPLIANCE, "Review security policies")
def lambda_log_level(ctx: Context) -> Outcome:
    """DEBUG logs carry request bodies and Jira fields into log groups kept for a year."""
    problems = []
    for fn in functions(ctx.plan):
        level = function_env(ctx.plan, fn).get("LOG_LEVEL")
        if level is UNKNOWN:
            problems.append(f"{fn.address}: LOG_LEVEL known only after apply")
        elif isinstance(level, str) and level.upper() == "DEBUG":
            problems.append(f"{fn.address}: LOG_LEVEL is DEBUG")
    if problems and not ctx.expect.production_values:
        return skipped(f"DEBUG logs allowed in {ctx.expect.environment}")
    return verdict(problems, "functions log at INFO or above")


INSIGHTS_LAYER = ":layer:LambdaInsightsExtension"


INSIGHTS_POLICY = "/CloudWatchLambdaInsightsExecutionRolePolicy"


def _insights_permitted(plan: Plan, fn: Resource) -> bool:
    """The function's role (same instance key) carries AWS's Lambda Insights policy."""
    return any(
        str(a.get("policy_arn")).endswith(INSIGHTS_POLICY) and _same_key(a, fn)
        for a in plan.of_type("aws_iam_role_policy_attachment")
    )


def _same_key(a: Resource, b: Resource) -> bool:
    return a.address.rsplit("[", 1)[-1] == b.address.rsplit("[", 1)[-1]


@rule("lambda_insights", LAMBDA, "Enable Lambda Insights")
def lambda_insights(ctx: Context) -> Outcome:
    fns = functions(ctx.plan)
    problems = []
    for fn in fns:
        layers = fn.get("layers")
        if not isinstance(layers, list) or not any(INSIGHTS_LAYER in str(x) for x in layers):
            problems.append(f"{fn.address}: no LambdaInsightsExtension layer")
        elif not _insights_permitted(ctx.plan, fn):
            problems.append(f"{fn.address}: role may not write Lambda Insights logs")
    if problems and not ctx.expect.production_values:
        return skipped(f"Lambda Insights optional in {ctx.expect.environment}")
    return verdict(problems, f"{len(fns)} function(s) report to Lambda Insights")


# ---- logs ----------------------------------------------------------------------------------


@rule("log_retention", INFRA, "Set up CloudWatch log retention policies")
def log_retention(ctx: Context) -> Outcome:
    groups = ctx.plan.of_type("aws_cloudwatch_log_group")
    if not groups:
        return failed("the plan has no aws_cloudwatch_log_group")
    minimum = ctx.expect.min_log_retention_days
    problems = []
    for group in groups:
        days = group.get("retention_in_days")
        if not isinstance(days, int) or days == 0:
            problems.append(f"{group.address}: kept forever (no retention)")
        elif days < minimum:
            problems.append(f"{group.address}: {days} days < {minimum}")
    return verdict(problems, f"{len(groups)} log group(s) keep >= {minimum} days, < forever")


@rule("lambda_log_groups", INFRA, "Set up CloudWatch log retention policies")
def lambda_log_groups(ctx: Context) -> Outcome:
    """A function without its own log group logs to one Lambda creates with no retention."""
    names = {g.get("name") for g in ctx.plan.of_type("aws_cloudwatch_log_group")}
    problems = []
    for fn in functions(ctx.plan):
        name = fn.get("function_name")
        custom = fn.get("logging_config.0.log_group")
        if isinstance(custom, str) and custom in names:
            continue
        if isinstance(name, str) and f"/aws/lambda/{name}" not in names:
            problems.append(f"{fn.address}: no log group /aws/lambda/{name}")
    return verdict(problems, "every function logs to a Terraform-managed group")


@rule("logs_kms_encryption", SECRETS, "Configure KMS encryption")
def logs_kms_encryption(ctx: Context) -> Outcome:
    groups = ctx.plan.of_type("aws_cloudwatch_log_group")
    problems = [f"{g.address}: no kms_key_id" for g in groups if not is_set(g.get("kms_key_id"))]
    return verdict(problems, f"{len(groups)} log group(s) on our KMS key")


# ---- Step Functions ------------------------------------------------------------------------


def state_machines(plan: Plan) -> list[Resource]:
    return plan.of_type("aws_sfn_state_machine")


@rule("state_machine_kms_encryption", SECRETS, "Configure KMS encryption")
def state_machine_kms_encryption(ctx: Context) -> Outcome:
    machines = state_machines(ctx.plan)
    if not machines:
        return failed("the plan has no aws_sfn_state_machine")
    problems = [
        f"{m.address}: not on a customer-managed key"
        for m in machines
        if m.get("encryption_configuration.0.type") != "CUSTOMER_MANAGED_KMS_KEY"
        or not is_set(m.get("encryption_configuration.0.kms_key_id"))
    ]
    return verdict(problems, "execution data encrypted with our key")


@rule("state_machine_standard", SFN, "Enable Express Workflows if needed for high volume")
def state_machine_standard(ctx: Context) -> Outcome:
    machines = state_machines(ctx.plan)
    problems = [
        f"{m.address}: type {m.get('type')}: callbacks (.waitForTaskToken) need STANDARD"
        for m in machines
        if m.get("type") not in ("STANDARD", None)
    ]
    return verdict(problems, "STANDARD: approvals wait up to days, Express caps at 5 minutes")


@rule("state_machine_logging", COMPLIANCE, "Enable audit logging")
def state_machine_logging(ctx: Context) -> Outcome:
    problems = []
    for machine in state_machines(ctx.plan):
        level = machine.get("logging_configuration.0.level")
        if level not in ("ALL", "ERROR", "FATAL"):
            problems.append(f"{machine.address}: logging level {level}")
        if machine.get("logging_configuration.0.include_execution_data") is not False:
            problems.append(f"{machine.address}: execution data logged (task tokens could leak)")
        if not is_set(machine.get("logging_configuration.0.log_destination")):
            problems.append(f"{machine.address}: no log destination")
    return verdict(problems, "execution history logged without execution data")


def _approval_states(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """Every callback task, including those inside Parallel/Map branches."""
    found = []
    for state in definition.get("States", {}).values():
        if state.get("Type") == "Task" and str(state.get("Resource", "")).endswith(
            ".waitForTaskToken"
        ):
            found.append(state)
        for branch in state.get("Branches", []):
            found += _approval_states(branch)
        for key in ("Iterator", "ItemProcessor"):
            if key in state:
                found += _approval_states(state[key])
    return found


_PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


def _render_template(text: str, variables: dict[str, Any]) -> str:
    """Fill the ASL's `${name}` placeholders well enough to parse it: numbers from the
    plan's variables (0 if unknown); ARNs sit inside quotes and stay placeholder text."""

    def value(match: re.Match[str]) -> str:
        start = match.start()
        quoted = start > 0 and text[start - 1] == '"'
        if quoted:
            return match.group(0)
        number = variables.get(match.group(1))
        return str(number) if isinstance(number, int) else "0"

    return _PLACEHOLDER.sub(value, text)


def _load_definition(ctx: Context) -> tuple[dict[str, Any] | None, str]:
    """The ASL as planned if known, else the repo's template rendered with plan variables."""
    for machine in state_machines(ctx.plan):
        definition = machine.get("definition")
        if isinstance(definition, str) and definition:
            return json.loads(definition), machine.address
    template = ctx.repo_root / "statemachine" / "request_workflow.asl.json"
    if template.is_file():
        names = ("approval_timeout_seconds", "state_machine_timeout_seconds")
        variables = {name: ctx.plan.variable(name) for name in names}
        text = _render_template(template.read_text(), variables)
        return json.loads(text), str(template.relative_to(ctx.repo_root))
    return None, ""


@rule("approval_timeout", SFN, "Configure appropriate timeouts")
def approval_timeout(ctx: Context) -> Outcome:
    seconds = ctx.plan.variable("approval_timeout_seconds")
    if not isinstance(seconds, int) or seconds <= 0:
        return failed("variable approval_timeout_seconds is not set to a positive number")
    problems = []
    overall = ctx.plan.variable("state_machine_timeout_seconds")
    if isinstance(overall, int) and overall <= seconds:
        problems.append(f"state_machine_timeout_seconds {overall} <= approval timeout {seconds}")
    definition, where = _load_definition(ctx)
    if definition is None:
        problems.append("no state machine definition to inspect")
    else:
        if "TimeoutSeconds" not in definition:
            problems.append(f"{where}: no top-level TimeoutSeconds: executions are unbounded")
        tasks = _approval_states(definition)
        if not tasks:
            problems.append(f"{where}: no .waitForTaskToken task")
        problems += [
            f"{where}: callback task without TimeoutSeconds"
            for t in tasks
            if "TimeoutSeconds" not in t and "TimeoutSecondsPath" not in t
        ]
    for fn in functions(ctx.plan):
        ttl = function_env(ctx.plan, fn).get("APPROVAL_TIMEOUT_SECONDS")
        if ttl is not None and ttl is not UNKNOWN and str(ttl) != str(seconds):
            problems.append(f"{fn.address}: APPROVAL_TIMEOUT_SECONDS {ttl} != {seconds}")
    return verdict(problems, f"approval waits {seconds}s, then times out to Jira")


@rule("reconciler_schedule", SFN, "Set up CloudWatch Events for scheduled execution")
def reconciler_schedule(ctx: Context) -> Outcome:
    schedules = ctx.plan.of_type("aws_scheduler_schedule")
    if not schedules:
        return failed("no aws_scheduler_schedule: missed webhooks would never be reconciled")
    problems = []
    for schedule in schedules:
        if schedule.get("state") not in ("ENABLED", None):
            problems.append(f"{schedule.address}: state {schedule.get('state')}")
        if not is_set(schedule.get("schedule_expression")):
            problems.append(f"{schedule.address}: no schedule expression")
    detail = ", ".join(str(s.get("schedule_expression")) for s in schedules)
    return verdict(problems, f"reconciler runs on {detail}")
