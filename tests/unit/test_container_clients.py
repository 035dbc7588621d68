"""The container makes a boto3 client only when a function first calls that service."""

from __future__ import annotations

import copy
from typing import Any

from jira_workflow.container import Container
from jira_workflow.models.settings import Settings

ENVIRONMENT = {
    "REQUESTS_TABLE": "requests",
    "ARTIFACTS_BUCKET": "artifacts",
    "STATE_MACHINE_ARN": "arn:aws:states:eu-west-1:123456789012:stateMachine:m",
    "COMPLETION_FUNCTION": "complete-decision",
}


class CountingClients:
    def __init__(self) -> None:
        self.made: list[str] = []

    def __call__(self, service: str) -> Any:
        self.made.append(service)
        return type(f"{service}-client", (), {"ping": lambda self: service})()


def test_building_the_webhooks_services_makes_no_client() -> None:
    clients = CountingClients()
    container = Container(Settings.from_env(ENVIRONMENT), clients=clients)

    container.intake  # noqa: B018 - building it is the point
    container.steps  # noqa: B018

    assert clients.made == []


def test_a_service_called_through_two_adapters_gets_one_client() -> None:
    clients = CountingClients()
    container = Container(Settings.from_env(ENVIRONMENT), clients=clients)

    table: Any = container.table._client
    deliveries: Any = container.deliveries._client
    answers = [table.ping(), deliveries.ping()]

    assert answers == ["dynamodb", "dynamodb"]
    assert clients.made == ["dynamodb"]


def test_a_copy_of_an_unused_client_neither_loops_nor_makes_one() -> None:
    clients = CountingClients()
    container = Container(Settings.from_env(ENVIRONMENT), clients=clients)

    copied: Any = copy.copy(container.table._client)

    assert copied.ping() == "dynamodb"
    assert clients.made == ["dynamodb"]
