"""Preflight's network rules against the prod plan fixtures (tests/unit/fixtures/preflight):
prod_pass builds the network module; prod_weak routes the functions' subnets to the
internet gateway and opens their security group (overrides/weak/modules/network)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from workflow_tools.preflight import rules as _rules  # noqa: F401 - registers the rules
from workflow_tools.preflight.expectations import expectations_for
from workflow_tools.preflight.plan import Plan
from workflow_tools.preflight.registry import REGISTRY, Context, Status

FIXTURES = Path(__file__).parent / "fixtures" / "preflight"
NETWORK_RULES = (
    "functions_in_private_subnets",
    "nat_for_outbound_https",
    "function_security_groups",
)
BROUGHT_SUBNETS = ["subnet-0aaa", "subnet-0bbb"]


@pytest.fixture(scope="module")
def strong_raw() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads((FIXTURES / "prod_pass.plan.json").read_text())
    return raw


@pytest.fixture(scope="module")
def weak_raw() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads((FIXTURES / "prod_weak.plan.json").read_text())
    return raw


def outcome(raw: dict[str, Any], name: str, env: str = "prod") -> tuple[Status, str]:
    ctx = Context(plan=Plan.from_dict(raw), expect=expectations_for(env), repo_root=Path("."))
    result = REGISTRY[name].check(ctx)
    return result.status, result.detail


def without_vpc(raw: dict[str, Any]) -> dict[str, Any]:
    """The plan of a prod with enable_vpc = false: no vpc_config on any function."""
    raw = copy.deepcopy(raw)
    raw["variables"]["enable_vpc"]["value"] = False
    for change in raw["resource_changes"]:
        if change["type"] == "aws_lambda_function":
            change["change"]["after_unknown"].pop("vpc_config", None)
    return raw


NAT = {"nat_gateway_id": "nat-0abc"}
IGW = {"gateway_id": "igw-0abc"}


def with_brought_subnets(raw: dict[str, Any], targets: dict[str, dict[str, str]]) -> dict[str, Any]:
    """Functions in subnets given by id, whose route tables the root reads at plan time."""
    raw = copy.deepcopy(raw)
    functions = set()
    modules = [raw["planned_values"]["root_module"]]
    while modules:
        module = modules.pop()
        modules += module.get("child_modules", [])
        for resource in module.get("resources", []):
            if resource["type"] == "aws_lambda_function":
                resource["values"]["vpc_config"] = [
                    {"subnet_ids": BROUGHT_SUBNETS, "security_group_ids": ["sg-0aaa"]}
                ]
                functions.add(resource["address"])
    for change in raw["resource_changes"]:
        if change["address"] in functions:
            change["change"]["after_unknown"].pop("vpc_config", None)
    raw["planned_values"]["root_module"]["resources"] += [
        {
            "address": f'data.aws_route_table.function_subnets["{subnet}"]',
            "mode": "data",
            "type": "aws_route_table",
            "values": {
                "subnet_id": subnet,
                "routes": [
                    {"cidr_block": "10.0.0.0/16", "gateway_id": "local", "nat_gateway_id": ""},
                    {"cidr_block": "0.0.0.0/0", "gateway_id": "", "nat_gateway_id": ""}
                    | targets[subnet],
                ],
            },
        }
        for subnet in BROUGHT_SUBNETS
    ]
    return raw


@pytest.mark.parametrize("name", NETWORK_RULES)
def test_prod_with_the_network_module_passes(strong_raw: dict[str, Any], name: str) -> None:
    status, detail = outcome(strong_raw, name)
    assert status is Status.PASS, detail


def test_functions_in_subnets_routed_to_the_internet_gateway_fail(weak_raw: dict[str, Any]) -> None:
    status, detail = outcome(weak_raw, "functions_in_private_subnets")
    assert status is Status.FAIL
    assert "aws_subnet.private[0]" in detail
    assert "aws_route.private_default[0] sends 0.0.0.0/0 to an internet gateway" in detail


def test_function_outside_the_vpc_fails(weak_raw: dict[str, Any]) -> None:
    assert (
        "aws_lambda_function.by_hand: not in a VPC subnet"
        in outcome(weak_raw, "functions_in_private_subnets")[1]
    )


def test_subnets_without_a_nat_route_fail(weak_raw: dict[str, Any]) -> None:
    status, detail = outcome(weak_raw, "nat_for_outbound_https")
    assert status is Status.FAIL
    assert "no 0.0.0.0/0 route to a NAT gateway" in detail


def test_open_security_group_fails(weak_raw: dict[str, Any]) -> None:
    status, detail = outcome(weak_raw, "function_security_groups")
    assert status is Status.FAIL
    assert "has ingress rules" in detail
    assert "egress -1 0-0" in detail


def test_prod_without_vpc_fails(strong_raw: dict[str, Any]) -> None:
    status, detail = outcome(without_vpc(strong_raw), "functions_in_private_subnets")
    assert status is Status.FAIL
    assert detail.startswith("enable_vpc is false")


@pytest.mark.parametrize("env", ["dev", "staging"])
def test_vpc_is_optional_outside_prod(strong_raw: dict[str, Any], env: str) -> None:
    for name in NETWORK_RULES:
        assert outcome(without_vpc(strong_raw), name, env)[0] is Status.SKIP, name


def test_brought_in_subnets_behind_a_nat_pass(strong_raw: dict[str, Any]) -> None:
    raw = with_brought_subnets(strong_raw, {"subnet-0aaa": NAT, "subnet-0bbb": NAT})
    for name in ("functions_in_private_subnets", "nat_for_outbound_https"):
        status, detail = outcome(raw, name)
        assert status is Status.PASS, detail
    assert outcome(raw, "function_security_groups")[0] is Status.SKIP  # not in the plan


def test_brought_in_subnet_routed_to_an_internet_gateway_fails(strong_raw: dict[str, Any]) -> None:
    raw = with_brought_subnets(strong_raw, {"subnet-0aaa": NAT, "subnet-0bbb": IGW})
    status, detail = outcome(raw, "functions_in_private_subnets")
    assert status is Status.FAIL
    assert detail.startswith("subnet-0bbb: data.aws_route_table.function_subnets")
    assert "subnet-0aaa" not in detail
    assert "subnet-0bbb: no 0.0.0.0/0 route to a NAT" in outcome(raw, "nat_for_outbound_https")[1]


def test_brought_in_subnet_without_a_route_table_in_the_plan_fails(
    strong_raw: dict[str, Any],
) -> None:
    raw = with_brought_subnets(strong_raw, {"subnet-0aaa": NAT, "subnet-0bbb": NAT})
    raw["planned_values"]["root_module"]["resources"].pop()
    status, detail = outcome(raw, "functions_in_private_subnets")
    assert status is Status.FAIL
    assert "subnet-0bbb: no route table association in the plan" in detail
