"""Alarms, the alerts topic, dashboards, tracing and saved Logs Insights queries."""

from __future__ import annotations

from typing import Any

from workflow_tools.preflight.plan import UNKNOWN, Plan, Resource
from workflow_tools.preflight.registry import (
    Context,
    Outcome,
    failed,
    failed_unless_waived,
    passed,
    rule,
    skipped,
    verdict,
)
from workflow_tools.preflight.rules.common import is_set

MONITORING = "Pre-Deployment / Monitoring & Alerting"
SECRETS = "Production Configuration / Secrets Manager"

# Saved queries the runbooks use; a name must contain each of these words (case-insensitive).
REQUIRED_QUERIES = ("trail", "failures", "slow")


def alarms(plan: Plan) -> list[Resource]:
    return plan.of_type("aws_cloudwatch_metric_alarm")


def metrics_watched(alarm: Resource) -> set[tuple[str, str]]:
    """(namespace, metric) pairs an alarm watches, metric-math queries included."""
    watched = {(str(alarm.get("namespace")), str(alarm.get("metric_name")))}
    for query in alarm.get("metric_query") or []:
        if isinstance(query, dict):
            for metric in query.get("metric") or []:
                watched.add((str(metric.get("namespace")), str(metric.get("metric_name"))))
    return watched


def _alarm_rule(ctx: Context, namespace: str, names: set[str], what: str) -> Outcome:
    matching = [
        a.get("alarm_name")
        for a in alarms(ctx.plan)
        if any(ns == namespace and m in names for ns, m in metrics_watched(a))
    ]
    if not matching:
        return failed(f"no alarm on {namespace} {'/'.join(sorted(names))} ({what})")
    shown = ", ".join(str(n) for n in matching[:3])
    more = f" (+{len(matching) - 3})" if len(matching) > 3 else ""
    return passed(f"{shown}{more}")


@rule("alarm_execution_failures", MONITORING, "Step Functions execution failures")
def alarm_execution_failures(ctx: Context) -> Outcome:
    names = {"ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"}
    return _alarm_rule(ctx, "AWS/States", names, "failed executions")


@rule("alarm_lambda_errors", MONITORING, "Lambda function errors")
def alarm_lambda_errors(ctx: Context) -> Outcome:
    watched: set[str] = set()
    account_wide = False
    for alarm in alarms(ctx.plan):
        if ("AWS/Lambda", "Errors") in metrics_watched(alarm):
            dims = alarm.get("dimensions")
            if isinstance(dims, dict) and dims.get("FunctionName"):
                watched.add(str(dims["FunctionName"]))
            else:
                account_wide = True
    if account_wide:
        return passed("an alarm on Lambda Errors across all functions")
    names = [f.get("function_name") for f in ctx.plan.of_type("aws_lambda_function")]
    problems = [
        f"no Errors alarm for {n}" for n in names if isinstance(n, str) and n not in watched
    ]
    if not watched:
        problems.insert(0, "no alarm on AWS/Lambda Errors")
    return verdict(problems, f"Errors alarm on each of {len(watched)} function(s)")


@rule("alarm_api_5xx", MONITORING, "API Gateway 5xx errors")
def alarm_api_5xx(ctx: Context) -> Outcome:
    return _alarm_rule(ctx, "AWS/ApiGateway", {"5XXError"}, "API 5xx")


@rule("alarm_dynamodb_throttles", MONITORING, "DynamoDB throttling")
def alarm_dynamodb_throttles(ctx: Context) -> Outcome:
    names = {"ThrottledRequests", "ReadThrottleEvents", "WriteThrottleEvents"}
    return _alarm_rule(ctx, "AWS/DynamoDB", names, "throttled requests")


@rule("alarm_execution_duration", MONITORING, "High execution duration")
def alarm_execution_duration(ctx: Context) -> Outcome:
    return _alarm_rule(ctx, "AWS/States", {"ExecutionTime"}, "long executions")


def _targets_sns(plan: Plan, alarm: Resource) -> bool:
    actions: Any = alarm.get("alarm_actions")
    if (
        isinstance(actions, list)
        and actions
        and all(isinstance(a, str) and ":sns:" in a for a in actions)
    ):
        return True
    if actions is UNKNOWN or (isinstance(actions, list) and actions):
        sources = plan.sources(alarm, "alarm_actions")
        topics = [s for s in sources if ".aws_sns_topic." in f".{s}"]
        root_vars = [s for s in sources if s.startswith("var.")]
        known = [plan.variable(v.removeprefix("var.")) for v in root_vars]
        return bool(topics) or any(isinstance(k, str) and ":sns:" in k for k in known)
    return False


@rule("alarms_notify_sns", MONITORING, "Configure alarms for:")
def alarms_notify_sns(ctx: Context) -> Outcome:
    found = alarms(ctx.plan)
    if not found:
        return failed("the plan has no aws_cloudwatch_metric_alarm")
    problems = [
        f"{a.address}: alarm_actions do not reach an SNS topic"
        for a in found
        if not _targets_sns(ctx.plan, a)
    ]
    return verdict(problems, f"{len(found)} alarm(s) notify the alerts topic")


def subscriptions(plan: Plan) -> dict[str, int]:
    """Confirmed-by-design subscribers of the alerts topic(s), counted by protocol."""
    topics = plan.of_type("aws_sns_topic")
    counts: dict[str, int] = {}
    for sub in plan.of_type("aws_sns_topic_subscription"):
        if any(plan.attached(sub, "topic_arn", t, "arn") for t in topics):
            protocol = str(sub.get("protocol"))
            counts[protocol] = counts.get(protocol, 0) + 1
    return counts


PAGER_PROTOCOLS = {"https"}  # PagerDuty/Opsgenie-style integration URLs
PERSON_PROTOCOLS = {"email", "email-json", "sms"}


@rule("alarm_subscriptions", MONITORING, "Set up PagerDuty/Opsgenie integration")
def alarm_subscriptions(ctx: Context) -> Outcome:
    """An alarm nobody receives is a log line: someone (a person or a pager) must subscribe."""
    counts = subscriptions(ctx.plan)
    wanted = PAGER_PROTOCOLS | PERSON_PROTOCOLS
    found = {p: n for p, n in counts.items() if p in wanted}
    if found:
        shown = ", ".join(f"{n} {p}" for p, n in sorted(found.items()))
        return passed(f"alerts topic subscribers: {shown}")
    if not ctx.expect.production_values:
        return skipped(
            f"no alert subscribers (alert_emails, pager_endpoint) in {ctx.expect.environment}"
        )
    outcome = failed("nobody is subscribed to the alerts topic: set alert_emails or pager_endpoint")
    return failed_unless_waived(ctx, "alarm_subscriptions", outcome)


# Count alarms (Sum per 5 minutes): prod reserves 10 executions per function, so more than
# 10 failures in 5 minutes means every slot failed once: an outage users already feel.
MAX_COUNT_THRESHOLD = 10


def _threshold_problem(ctx: Context, alarm: Resource) -> str | None:
    threshold = alarm.get("threshold")
    if not isinstance(threshold, int | float):
        return (
            f"{alarm.address}: threshold known only after apply" if threshold is UNKNOWN else None
        )
    if alarm.get("statistic") == "Sum" and threshold > MAX_COUNT_THRESHOLD:
        return (
            f"{alarm.get('alarm_name')}: threshold {threshold:g} > {MAX_COUNT_THRESHOLD} per period"
        )
    if ("AWS/States", "ExecutionTime") in metrics_watched(alarm):
        timeout = ctx.plan.variable("state_machine_timeout_seconds")
        if isinstance(timeout, int | float) and threshold >= timeout * 1000:
            return f"{alarm.get('alarm_name')}: {threshold:g} ms >= the execution timeout"
    if threshold <= 0:
        return f"{alarm.get('alarm_name')}: threshold {threshold:g} alarms on every period"
    return None


@rule("alarm_thresholds", MONITORING, "Configure alarms for:")
def alarm_thresholds(ctx: Context) -> Outcome:
    found = alarms(ctx.plan)
    problems = [p for a in found if (p := _threshold_problem(ctx, a))]
    if problems and not ctx.expect.production_values:
        return skipped(f"alarm thresholds not judged in {ctx.expect.environment}")
    return verdict(
        problems, f"{len(found)} alarm(s): counts <= {MAX_COUNT_THRESHOLD}, durations < timeout"
    )


@rule("alerts_topic", MONITORING, "Set up SNS topics for alerts")
def alerts_topic(ctx: Context) -> Outcome:
    topics = ctx.plan.of_type("aws_sns_topic")
    if not topics:
        return failed("the plan has no aws_sns_topic for alerts")
    return passed(", ".join(str(t.get("name")) for t in topics))


@rule("sns_kms_encryption", SECRETS, "Configure KMS encryption")
def sns_kms_encryption(ctx: Context) -> Outcome:
    topics = ctx.plan.of_type("aws_sns_topic")
    problems = [
        f"{t.address}: no kms_master_key_id"
        for t in topics
        if not is_set(t.get("kms_master_key_id"))
    ]
    return verdict(problems, f"{len(topics)} topic(s) on our KMS key")


@rule("dashboard_present", MONITORING, "Create CloudWatch dashboards")
def dashboard_present(ctx: Context) -> Outcome:
    boards = ctx.plan.of_type("aws_cloudwatch_dashboard")
    if not boards:
        return failed("the plan has no aws_cloudwatch_dashboard")
    return passed(", ".join(str(b.get("dashboard_name")) for b in boards))


@rule("xray_tracing", MONITORING, "Set up AWS X-Ray for tracing")
def xray_tracing(ctx: Context) -> Outcome:
    problems = [
        f"{f.address}: tracing mode {f.get('tracing_config.0.mode')}"
        for f in ctx.plan.of_type("aws_lambda_function")
        if f.get("tracing_config.0.mode") != "Active"
    ]
    problems += [
        f"{m.address}: tracing off"
        for m in ctx.plan.of_type("aws_sfn_state_machine")
        if m.get("tracing_configuration.0.enabled") is not True
    ]
    problems += [
        f"{s.address}: xray_tracing_enabled off"
        for s in ctx.plan.of_type("aws_api_gateway_stage")
        if s.get("xray_tracing_enabled") is not True
    ]
    if problems and not ctx.expect.require_xray:
        return skipped(f"X-Ray optional in {ctx.expect.environment}")
    return verdict(problems, "Lambda, state machine and API stage traced")


@rule("insights_queries", MONITORING, "Configure CloudWatch Insights queries")
def insights_queries(ctx: Context) -> Outcome:
    names = [
        str(q.get("name")).lower() for q in ctx.plan.of_type("aws_cloudwatch_query_definition")
    ]
    missing = [w for w in REQUIRED_QUERIES if not any(w in n for n in names)]
    if missing and not ctx.expect.require_insights_queries:
        return skipped(f"saved queries optional in {ctx.expect.environment}")
    problems = (f"no saved query named for '{w}'" for w in missing)
    return verdict(problems, f"{len(names)} saved Logs Insights queries")
