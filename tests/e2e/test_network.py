"""The local stack runs prod's network shape (local.tfvars: enable_vpc = true): every
deployed function sits in the network module's private subnets, which leave through NAT
only, behind a security group that accepts nothing and sends HTTPS."""

from __future__ import annotations

from typing import Any

import pytest

from local_cloud.driver import LocalStackSession

pytestmark = pytest.mark.e2e


def deployed_functions(stack: LocalStackSession) -> list[dict[str, Any]]:
    pages = stack.client("lambda").get_paginator("list_functions").paginate()
    return [function for page in pages for function in page["Functions"]]


def function_subnet_ids(stack: LocalStackSession) -> set[str]:
    functions = deployed_functions(stack)
    assert functions
    placed = [set(f.get("VpcConfig", {}).get("SubnetIds") or []) for f in functions]
    assert all(placed), "every function has VPC subnets"
    assert all(ids == placed[0] for ids in placed), "all functions share the same subnets"
    return placed[0]


def test_functions_sit_in_private_subnets_in_two_zones(stack: LocalStackSession) -> None:
    ec2 = stack.client("ec2")
    subnet_ids = function_subnet_ids(stack)
    subnets = ec2.describe_subnets(SubnetIds=sorted(subnet_ids))["Subnets"]

    assert len({subnet["AvailabilityZone"] for subnet in subnets}) >= 2
    assert all(not subnet["MapPublicIpOnLaunch"] for subnet in subnets)
    for subnet_id in subnet_ids:
        tables = ec2.describe_route_tables(
            Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}]
        )["RouteTables"]
        assert len(tables) == 1, subnet_id
        default = [r for r in tables[0]["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
        assert [r.get("NatGatewayId", "").startswith("nat-") for r in default] == [True]
        assert not any(r.get("GatewayId", "").startswith("igw-") for r in tables[0]["Routes"])


def test_function_security_group_accepts_nothing_and_sends_https(
    stack: LocalStackSession,
) -> None:
    group_ids = {
        group_id
        for function in deployed_functions(stack)
        for group_id in function["VpcConfig"]["SecurityGroupIds"]
    }
    groups = stack.client("ec2").describe_security_groups(GroupIds=sorted(group_ids))

    assert len(group_ids) == 1
    for group in groups["SecurityGroups"]:
        assert group["IpPermissions"] == []
        assert group["IpPermissionsEgress"]
        assert all(
            (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 443, 443)
            for rule in group["IpPermissionsEgress"]
        )


def test_aws_services_are_reached_through_endpoints(stack: LocalStackSession) -> None:
    ec2 = stack.client("ec2")
    subnet = ec2.describe_subnets(SubnetIds=sorted(function_subnet_ids(stack))[:1])["Subnets"][0]
    endpoints = ec2.describe_vpc_endpoints(
        Filters=[{"Name": "vpc-id", "Values": [subnet["VpcId"]]}]
    )["VpcEndpoints"]
    by_service = {e["ServiceName"].rsplit(".", 1)[-1]: e["VpcEndpointType"] for e in endpoints}

    assert by_service == {
        "s3": "Gateway",
        "dynamodb": "Gateway",
        "secretsmanager": "Interface",
        "states": "Interface",
    }
