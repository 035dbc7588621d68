"""API Gateway: keys and throttling on the Jira routes, validation, access logs, WAF."""

from __future__ import annotations

import re

from workflow_tools.preflight.plan import Plan, Resource
from workflow_tools.preflight.registry import (
    Context,
    Outcome,
    failed,
    failed_unless_waived,
    rule,
    skipped,
    verdict,
)
from workflow_tools.preflight.rules.common import is_set

SECURITY = "Pre-Deployment / Security Hardening"
API = "Deployment / API Gateway"

# Routes that must carry an API key: Jira Automation sends it; Jira's native webhook cannot.
KEYED_ROUTES = {"callback": "POST /jira/callback", "{issueKey}": "GET /requests/{issueKey}"}
ROUTE_KEYS = {"callback": KEYED_ROUTES["callback"], "status": KEYED_ROUTES["{issueKey}"]}
_INDEX = re.compile(r'\[("[^"]*"|[0-9]+)\]$')


def _index(resource: Resource) -> str:
    match = _INDEX.search(resource.address)
    return match.group(1) if match else ""


def route_resource(plan: Plan, method: Resource) -> Resource | None:
    """The aws_api_gateway_resource a method hangs on (instance keys break for_each ties)."""
    candidates = [
        r
        for r in plan.of_type("aws_api_gateway_resource")
        if plan.attached(method, "resource_id", r)
    ]
    if len(candidates) > 1:
        same_key = [r for r in candidates if _index(r) == _index(method)]
        candidates = same_key or candidates
    return candidates[0] if len(candidates) == 1 else None


def keyed_methods(plan: Plan) -> dict[str, list[Resource]]:
    found: dict[str, list[Resource]] = {route: [] for route in KEYED_ROUTES.values()}
    for method in plan.of_type("aws_api_gateway_method"):
        resource = route_resource(plan, method)
        path_part = resource.get("path_part") if resource else None
        # routes built from a table (for_each over a local) are known by their key instead
        route = KEYED_ROUTES.get(str(path_part)) or ROUTE_KEYS.get(_index(method).strip('"'))
        if route:
            found[route].append(method)
    return found


@rule("api_keys_on_jira_routes", API, "Set up API keys for Jira")
def api_keys_on_jira_routes(ctx: Context) -> Outcome:
    problems = []
    for route, methods in keyed_methods(ctx.plan).items():
        if not methods:
            problems.append(f"{route}: route not found")
        problems += [
            f"{route}: api_key_required is not true"
            for m in methods
            if m.get("http_method") != "OPTIONS" and m.get("api_key_required") is not True
        ]
    if not ctx.plan.of_type("aws_api_gateway_usage_plan_key"):
        problems.append("no aws_api_gateway_usage_plan_key: the key is in no usage plan")
    return verdict(problems, "callback and status routes need x-api-key (usage plan)")


# Far above what the functions behind the API can serve, throttling protects nothing: the
# excess becomes Lambda throttles (5xx) instead of 429s. An API handler takes at least ~50 ms
# (a DynamoDB or Secrets Manager read), so one reserved execution serves <= 20 requests/s;
# without reserved concurrency, 1000 requests/s is far beyond Jira's webhook and tool traffic.
REQUESTS_PER_SECOND_PER_EXECUTION = 20
MAX_RATE_UNRESERVED = 1000
BURST_PER_RATE = 2  # a burst of two seconds' worth of requests


def throttling_bound(plan: Plan) -> int:
    reserved = plan.variable("lambda_reserved_concurrency")
    if isinstance(reserved, int | float) and reserved >= 1:
        return min(MAX_RATE_UNRESERVED, int(reserved) * REQUESTS_PER_SECOND_PER_EXECUTION)
    return MAX_RATE_UNRESERVED


def _limits(plan: Plan) -> list[tuple[str, object, object]]:
    """(where, rate, burst) of the stage-wide settings and each usage plan."""
    limits = [
        (
            s.address,
            s.get("settings.0.throttling_rate_limit"),
            s.get("settings.0.throttling_burst_limit"),
        )
        for s in plan.of_type("aws_api_gateway_method_settings")
        if s.get("method_path") == "*/*"
    ]
    limits += [
        (
            u.address,
            u.get("throttle_settings.0.rate_limit"),
            u.get("throttle_settings.0.burst_limit"),
        )
        for u in plan.of_type("aws_api_gateway_usage_plan")
    ]
    return limits


def _too_high(plan: Plan) -> list[str]:
    bound = throttling_bound(plan)
    return [
        f"{where}: rate {rate}/burst {burst} above {bound}/{bound * BURST_PER_RATE} "
        f"(what the functions' reserved concurrency can serve)"
        for where, rate, burst in _limits(plan)
        if (isinstance(rate, int | float) and rate > bound)
        or (isinstance(burst, int | float) and burst > bound * BURST_PER_RATE)
    ]


@rule("api_throttling", API, "Configure throttling limits")
def api_throttling(ctx: Context) -> Outcome:
    problems = []
    settings = ctx.plan.of_type("aws_api_gateway_method_settings")
    stage_wide = [s for s in settings if s.get("method_path") == "*/*"]
    if not stage_wide:
        problems.append("no stage-wide (*/*) method settings")
    for s in stage_wide:
        rate = s.get("settings.0.throttling_rate_limit")
        burst = s.get("settings.0.throttling_burst_limit")
        if not (
            isinstance(rate, int | float) and rate > 0 and isinstance(burst, int) and burst > 0
        ):
            problems.append(f"{s.address}: stage throttling rate={rate} burst={burst}")
    plans = ctx.plan.of_type("aws_api_gateway_usage_plan")
    if not plans:
        problems.append("no usage plan for the API key")
    for plan in plans:
        if not is_set(plan.get("throttle_settings.0.rate_limit")):
            problems.append(f"{plan.address}: usage plan without throttle_settings")
    if ctx.expect.production_values:
        problems += _too_high(ctx.plan)
    return verdict(problems, f"stage and usage plan throttled (<= {throttling_bound(ctx.plan)}/s)")


@rule("api_execution_logging", API, "Enable access logging")
def api_execution_logging(ctx: Context) -> Outcome:
    """Execution logs say why API Gateway refused or failed a call (key, validation, 5xx)."""
    settings = [
        s
        for s in ctx.plan.of_type("aws_api_gateway_method_settings")
        if s.get("method_path") == "*/*"
    ]
    problems = [
        f"{s.address}: execution logging_level {s.get('settings.0.logging_level')}"
        for s in settings
        if s.get("settings.0.logging_level") not in ("ERROR", "INFO")
    ]
    if not settings:
        problems.append("no stage-wide (*/*) method settings")
    if problems and not ctx.expect.production_values:
        return skipped(f"execution logging optional in {ctx.expect.environment}")
    outcome = verdict(problems, "stage execution logs on (ERROR or INFO)")
    return failed_unless_waived(ctx, "api_execution_logging", outcome)


@rule("api_access_logging", API, "Enable access logging")
def api_access_logging(ctx: Context) -> Outcome:
    stages = ctx.plan.of_type("aws_api_gateway_stage")
    if not stages:
        return failed("the plan has no aws_api_gateway_stage")
    problems = [
        f"{s.address}: no access_log_settings"
        for s in stages
        if not is_set(s.get("access_log_settings.0.destination_arn"))
        or not is_set(s.get("access_log_settings.0.format"))
    ]
    # full request/response logging would write webhook bodies and API keys to the logs
    problems += [
        f"{m.address}: data_trace_enabled logs request bodies"
        for m in ctx.plan.of_type("aws_api_gateway_method_settings")
        if m.get("settings.0.data_trace_enabled") is True
    ]
    return verdict(problems, f"{len(stages)} stage(s) write access logs, no body tracing")


@rule("api_request_validation", API, "Configure request/response validation")
def api_request_validation(ctx: Context) -> Outcome:
    if not ctx.plan.of_type("aws_api_gateway_request_validator"):
        return failed("no aws_api_gateway_request_validator")
    callback = keyed_methods(ctx.plan)[KEYED_ROUTES["callback"]]
    problems = [
        f"{m.address}: callback body not validated"
        for m in callback
        if not is_set(m.get("request_validator_id"))
    ]
    return verdict(problems, "callback body validated before the Lambda runs")


@rule("api_waf", SECURITY, "Enable AWS WAF for API Gateway")
def api_waf(ctx: Context) -> Outcome:
    associations = ctx.plan.of_type("aws_wafv2_web_acl_association")
    wanted = ctx.plan.variable("waf_acl_arn")
    if not associations and not wanted:
        if not ctx.expect.production_values:
            return skipped("waf_acl_arn unset: set your regional web ACL in the tfvars to enable")
        outcome = failed("waf_acl_arn unset: the API stage has no web ACL")
        return failed_unless_waived(ctx, "api_waf", outcome)
    if not associations:
        return failed("a web ACL is configured but not associated with the stage")
    return verdict([], f"{len(associations)} web ACL association(s) on the API stage")


@rule("api_tls_policy", API, "Set up SSL/TLS certificate")
def api_tls_policy(ctx: Context) -> Outcome:
    domains = ctx.plan.of_type("aws_api_gateway_domain_name")
    if not domains:
        return skipped("no custom domain: the execute-api endpoint serves TLS 1.2 only")
    problems = []
    for domain in domains:
        if domain.get("security_policy") != "TLS_1_2":
            problems.append(f"{domain.address}: security_policy {domain.get('security_policy')}")
        certificate = domain.get("regional_certificate_arn") or domain.get("certificate_arn")
        if not is_set(certificate):
            problems.append(f"{domain.address}: no ACM certificate")
    return verdict(problems, f"{len(domains)} custom domain(s), ACM certificate, TLS 1.2")
