"""Emulator clients are made once per service and endpoint: drivers poll from the emulator's
own process, and a client made per poll took its CPU from the functions being waited on."""

from __future__ import annotations

from local_cloud.clients import emulator_client

ENDPOINT = "http://127.0.0.1:1"


def test_a_service_on_one_endpoint_gets_the_same_client_each_time() -> None:
    assert emulator_client("dynamodb", ENDPOINT, "eu-west-1") is emulator_client(
        "dynamodb", ENDPOINT, "eu-west-1"
    )


def test_another_service_endpoint_or_region_gets_its_own_client() -> None:
    first = emulator_client("dynamodb", ENDPOINT, "eu-west-1")

    assert emulator_client("s3", ENDPOINT, "eu-west-1") is not first
    assert emulator_client("dynamodb", "http://127.0.0.1:2", "eu-west-1") is not first
    assert emulator_client("dynamodb", ENDPOINT, "us-east-1") is not first
    assert emulator_client("dynamodb", "http://127.0.0.1:2", "eu-west-1").meta.endpoint_url == (
        "http://127.0.0.1:2"
    )
