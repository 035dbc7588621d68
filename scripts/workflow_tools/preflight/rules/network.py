"""The functions' network: private subnets, a NAT gateway as the only way out, and security
groups that accept nothing and send HTTPS only.

A subnet is judged by the route tables associated with it: created in the same plan
(aws_route_table_association -> aws_route / inline routes, traced by reference while the
ids are unknown), or, for subnets brought in by id, the root's `data.aws_route_table`
read at plan time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from workflow_tools.preflight.plan import UNKNOWN, Plan, Resource
from workflow_tools.preflight.registry import Context, Outcome, failed, rule, skipped, verdict
from workflow_tools.preflight.rules.common import is_set

SECURITY = "Pre-Deployment / Security Hardening"
VPC_REQUIRED_IN = frozenset({"prod"})
ANYWHERE = "0.0.0.0/0"
HTTPS = 443

INTERNET_GATEWAY = "an internet gateway"
NAT_GATEWAY = "a NAT gateway"


@dataclass(frozen=True)
class Subnet:
    """A function's subnet: a planned aws_subnet, or an id brought in through variables."""

    name: str
    resource: Resource | None = None


@dataclass(frozen=True)
class DefaultRoute:
    where: str
    target: str  # INTERNET_GATEWAY, NAT_GATEWAY, or what else it names


def functions(plan: Plan) -> list[Resource]:
    return plan.of_type("aws_lambda_function")


def _vpc_refs(plan: Plan, fn: Resource, attr: str, variable: str) -> set[str]:
    """Where a function's vpc_config.<attr> comes from. Our functions module sets it in a
    `dynamic` block (absent from the plan's configuration), from var.<variable>."""
    found = plan.sources(fn, f"vpc_config.0.{attr}")
    if not found and fn.module_path:
        found = plan.variable_sources(fn.module_path, variable)
    return found


def _in_vpc(fn: Resource) -> bool:
    ids = fn.get("vpc_config.0.subnet_ids")
    return ids is UNKNOWN or (isinstance(ids, list) and bool(ids))


def function_subnets(plan: Plan, fn: Resource) -> list[Subnet]:
    ids = fn.get("vpc_config.0.subnet_ids")
    if isinstance(ids, list) and ids:
        planned = {
            s.get("id"): s for s in plan.of_type("aws_subnet") if isinstance(s.get("id"), str)
        }
        return [Subnet(str(i), planned.get(i)) for i in ids]
    refs = _vpc_refs(plan, fn, "subnet_ids", "vpc_subnet_ids")
    return [
        Subnet(s.address, s)
        for address in sorted(refs)
        for s in plan.by_config_address(address)
        if s.type == "aws_subnet"
    ]


# ---- routes -----------------------------------------------------------------------------------


def _route_target(plan: Plan, route: Resource) -> str:
    gateway = route.get("gateway_id")
    if (isinstance(gateway, str) and gateway.startswith("igw-")) or plan.sources_of_type(
        route, "gateway_id", "aws_internet_gateway"
    ):
        return INTERNET_GATEWAY
    if is_set(route.get("nat_gateway_id")) and route.get("nat_gateway_id") != "":
        return NAT_GATEWAY
    return "neither a NAT nor an internet gateway"


def _inline_target(route: dict[str, Any]) -> str:
    if str(route.get("gateway_id") or "").startswith("igw-"):
        return INTERNET_GATEWAY
    if route.get("nat_gateway_id"):
        return NAT_GATEWAY
    return "neither a NAT nor an internet gateway"


def _default_routes_of_table(plan: Plan, table: Resource) -> Iterator[DefaultRoute]:
    for route in plan.of_type("aws_route"):
        if route.get("destination_cidr_block") == ANYWHERE and plan.attached(
            route, "route_table_id", table, "id"
        ):
            yield DefaultRoute(route.address, _route_target(plan, route))
    inline = table.get("route")
    for entry in inline if isinstance(inline, list) else []:
        if isinstance(entry, dict) and entry.get("cidr_block") == ANYWHERE:
            yield DefaultRoute(table.address, _inline_target(entry))


def default_routes(plan: Plan, subnet: Subnet) -> list[DefaultRoute] | None:
    """The subnet's 0.0.0.0/0 routes; None when the plan shows no route table for it."""
    if subnet.resource is None:
        tables = [
            t
            for t in plan.of_type("aws_route_table", mode="data")
            if t.get("subnet_id") == subnet.name
        ]
        if not tables:
            return None
        routes = tables[0].get("routes")
        return [
            DefaultRoute(tables[0].address, _inline_target(r))
            for r in (routes if isinstance(routes, list) else [])
            if isinstance(r, dict) and r.get("cidr_block") == ANYWHERE
        ]
    associations = [
        a
        for a in plan.of_type("aws_route_table_association")
        if plan.attached(a, "subnet_id", subnet.resource, "id")
    ]
    tables = [
        t
        for t in plan.of_type("aws_route_table")
        if any(plan.attached(a, "route_table_id", t, "id") for a in associations)
    ]
    if not tables:
        return None
    return [route for table in tables for route in _default_routes_of_table(plan, table)]


def _vpc_off(ctx: Context) -> Outcome | None:
    if ctx.plan.variable("enable_vpc") is True:
        return None
    if ctx.expect.environment in VPC_REQUIRED_IN:
        return failed(
            f"enable_vpc is false: {ctx.expect.environment} runs its functions in private "
            "subnets (set enable_vpc = true, or bring vpc_subnet_ids)"
        )
    return skipped(f"enable_vpc is false: allowed in {ctx.expect.environment}")


# ---- rules ------------------------------------------------------------------------------------


@rule("functions_in_private_subnets", SECURITY, "Configure private subnets for Lambda")
def functions_in_private_subnets(ctx: Context) -> Outcome:
    fns = functions(ctx.plan)
    if not fns:
        return failed("the plan has no aws_lambda_function")
    if (off := _vpc_off(ctx)) is not None:
        return off
    problems: list[str] = []
    subnets_seen: set[str] = set()
    for fn in fns:
        if not _in_vpc(fn):
            problems.append(f"{fn.address}: not in a VPC subnet")
            continue
        for subnet in function_subnets(ctx.plan, fn):
            if subnet.name in subnets_seen:
                continue
            subnets_seen.add(subnet.name)
            routes = default_routes(ctx.plan, subnet)
            if routes is None:
                problems.append(f"{subnet.name}: no route table association in the plan")
                continue
            problems += [
                f"{subnet.name}: {r.where} sends {ANYWHERE} to an internet gateway"
                for r in routes
                if r.target == INTERNET_GATEWAY
            ]
    if not subnets_seen and not problems:
        problems.append("the functions' subnets cannot be traced in the plan")
    detail = f"{len(fns)} function(s) in {len(subnets_seen)} subnet(s), none routed to an IGW"
    return verdict(problems, detail)


@rule("nat_for_outbound_https", SECURITY, "Set up NAT Gateway for external API access")
def nat_for_outbound_https(ctx: Context) -> Outcome:
    if ctx.plan.variable("enable_vpc") is not True:
        return skipped("enable_vpc is false: the functions use Lambda's own internet access")
    problems: list[str] = []
    subnets_seen: set[str] = set()
    for fn in functions(ctx.plan):
        for subnet in function_subnets(ctx.plan, fn):
            if subnet.name in subnets_seen:
                continue
            subnets_seen.add(subnet.name)
            routes = default_routes(ctx.plan, subnet) or []
            if not any(r.target == NAT_GATEWAY for r in routes):
                problems.append(
                    f"{subnet.name}: no {ANYWHERE} route to a NAT gateway (Jira unreachable)"
                )
    if not subnets_seen:
        return failed("the functions' subnets cannot be traced in the plan")
    return verdict(
        problems, f"{len(subnets_seen)} subnet(s) reach Jira and the external APIs through NAT"
    )


def _security_groups(plan: Plan) -> list[Resource]:
    groups: dict[str, Resource] = {}
    for fn in functions(plan):
        if not _in_vpc(fn):
            continue
        ids = fn.get("vpc_config.0.security_group_ids")
        if isinstance(ids, list):  # known ids: planned groups by id, else brought in
            for group in plan.of_type("aws_security_group"):
                if group.get("id") in ids:
                    groups[group.address] = group
            continue
        for address in _vpc_refs(plan, fn, "security_group_ids", "vpc_security_group_ids"):
            for group in plan.by_config_address(address):
                if group.type == "aws_security_group":
                    groups[group.address] = group
    return list(groups.values())


def _rule_problems(group: Resource) -> Iterator[str]:
    ingress = group.get("ingress")
    if ingress is UNKNOWN or (isinstance(ingress, list) and ingress):
        yield f"{group.address}: has ingress rules (the functions accept no connections)"
    egress = group.get("egress")
    for entry in egress if isinstance(egress, list) else []:
        if not isinstance(entry, dict):
            continue
        if (entry.get("from_port"), entry.get("to_port"), entry.get("protocol")) != (
            HTTPS,
            HTTPS,
            "tcp",
        ):
            ports = f"{entry.get('protocol')} {entry.get('from_port')}-{entry.get('to_port')}"
            yield f"{group.address}: egress {ports} (only tcp {HTTPS} is needed)"


def _separate_rule_problems(plan: Plan, group: Resource) -> Iterator[str]:
    """Rules kept outside the group resource add to it just the same."""
    for rule_resource in plan.of_type(
        "aws_security_group_rule",
        "aws_vpc_security_group_ingress_rule",
        "aws_vpc_security_group_egress_rule",
    ):
        if not plan.attached(rule_resource, "security_group_id", group, "id"):
            continue
        kind = rule_resource.get("type") or rule_resource.type.rsplit("_", 2)[-2]
        port = (rule_resource.get("from_port"), rule_resource.get("to_port"))
        protocol = rule_resource.get("protocol") or rule_resource.get("ip_protocol")
        if kind == "ingress" or port != (HTTPS, HTTPS) or protocol != "tcp":
            yield f"{rule_resource.address}: {kind} {protocol} {port[0]}-{port[1]}"


@rule("function_security_groups", SECURITY, "Review and tighten security group rules")
def function_security_groups(ctx: Context) -> Outcome:
    if ctx.plan.variable("enable_vpc") is not True:
        return skipped("enable_vpc is false: the functions have no security group")
    groups = _security_groups(ctx.plan)
    if not groups:
        return skipped(
            "the functions' security groups are brought in by id: review their rules by hand"
        )
    problems = [
        p for g in groups for p in (*_rule_problems(g), *_separate_rule_problems(ctx.plan, g))
    ]
    return verdict(
        problems, f"{len(groups)} security group(s): no ingress, egress tcp {HTTPS} only"
    )
