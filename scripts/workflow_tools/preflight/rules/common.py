"""Small questions several rules ask of the plan."""

from __future__ import annotations

from typing import Any

from workflow_tools.preflight.plan import UNKNOWN, Plan, Resource


def is_set(value: Any) -> bool:
    """Set to something, or to something Terraform computes at apply (an ARN, say)."""
    return value is UNKNOWN or value not in (None, "", [], {})


def configured(plan: Plan, resource: Resource, path: str) -> bool:
    """Set in configuration, for attributes the provider computes when left unset.

    AWS fills some attributes itself (a KMS key's default policy, DynamoDB's AWS-owned key),
    so "known after apply" alone does not prove we set them: the expression must exist.
    """
    value = resource.get(path)
    if value is UNKNOWN:
        return bool(plan.expression(resource, path))
    return is_set(value)


def children_of(
    plan: Plan, parent: Resource, child_type: str, attr: str = "bucket"
) -> list[Resource]:
    """Sub-resources (versioning, lifecycle, ...) that configure `parent` via `attr`."""
    return [
        child
        for child in plan.of_type(child_type)
        if plan.attached(child, attr, parent, "bucket", "name")
    ]


def references_type(plan: Plan, resource: Resource, attr: str, rtype: str) -> bool:
    return bool(plan.sources_of_type(resource, attr, rtype))


# The root local every function's environment is built from (terraform/locals.tf); the root
# output `lambda_environment` is exactly it, so the plan knows its values before apply.
COMMON_ENVIRONMENT = "common_environment"


def function_env(plan: Plan, resource: Resource) -> dict[str, Any]:
    """A function's environment, values included where the resource only says "unknown".

    In a plan every function's environment is known only after apply (it holds ARNs of
    resources created in the same plan). Its configuration says where it comes from: when
    that is the root's common environment, its known values (URLs, levels, names) are read
    from there; what stays unknown is UNKNOWN, for the rules to judge, never to skip.
    """
    env = resource.get("environment.0.variables")
    if isinstance(env, dict):
        return env
    if env is not UNKNOWN:
        return {}
    if f"local.{COMMON_ENVIRONMENT}" in plan.sources(resource, "environment.0.variables"):
        common = plan.root_local(COMMON_ENVIRONMENT)
        if isinstance(common, dict):
            return common
    return {"(environment)": UNKNOWN}  # nothing to trace: one value nobody can judge


def handler_key(resource: Resource) -> str:
    """The design's function key (`webhook`, `callback`...) from the handler path."""
    handler = resource.get("handler")
    if isinstance(handler, str) and handler.endswith(".handler"):
        return handler.removesuffix(".handler").rsplit(".", 1)[-1]
    return ""
