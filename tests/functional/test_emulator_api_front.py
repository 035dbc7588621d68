"""The API Gateway front turns HTTP requests into REST proxy events for the routes
Terraform created in moto, enforcing API keys as API Gateway does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from local_cloud.test_support import client, create_sample_function, running_emulator

INTEGRATION_URI = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{}/invocations"


def add_route(
    apigw: Any, api_id: str, parent_id: str, part: str, method: str, fn_arn: str, key: bool
) -> str:
    resource_id: str = apigw.create_resource(restApiId=api_id, parentId=parent_id, pathPart=part)[
        "id"
    ]
    apigw.put_method(
        restApiId=api_id,
        resourceId=resource_id,
        httpMethod=method,
        authorizationType="NONE",
        apiKeyRequired=key,
    )
    apigw.put_integration(
        restApiId=api_id,
        resourceId=resource_id,
        httpMethod=method,
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=INTEGRATION_URI.format(fn_arn),
    )
    return resource_id


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """An API shaped like ours: open webhook, keyed status with a path parameter, greedy mock."""
    with running_emulator(tmp_path_factory.mktemp("emulator") / "emulator.log") as endpoints:
        proxy = create_sample_function(endpoints, "proxy", "sample_fns.handlers.http_proxy")
        bad = create_sample_function(endpoints, "bad", "sample_fns.handlers.bad_proxy")
        failing = create_sample_function(endpoints, "failing", "sample_fns.handlers.unavailable")
        apigw = client(endpoints, "apigateway")
        api_id = apigw.create_rest_api(name="test")["id"]
        root = next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"])
        jira = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="jira")["id"]
        add_route(apigw, api_id, jira, "webhook", "POST", proxy, key=False)
        add_route(apigw, api_id, jira, "broken", "POST", bad, key=False)
        add_route(apigw, api_id, jira, "failing", "POST", failing, key=False)
        requests_id = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="requests")[
            "id"
        ]
        add_route(apigw, api_id, requests_id, "{issueKey}", "GET", proxy, key=True)
        mock = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="mock")["id"]
        add_route(apigw, api_id, mock, "{proxy+}", "ANY", proxy, key=False)
        apigw.create_deployment(restApiId=api_id, stageName="local")
        key = apigw.create_api_key(name="caller", enabled=True)
        disabled = apigw.create_api_key(name="off", enabled=False)
        plan = apigw.create_usage_plan(name="p", apiStages=[{"apiId": api_id, "stage": "local"}])
        for api_key in (key, disabled):
            apigw.create_usage_plan_key(
                usagePlanId=plan["id"], keyId=api_key["id"], keyType="API_KEY"
            )
        # A second plan on the same stage, as ours has (decide and read keys).
        reader = apigw.create_api_key(name="reader", enabled=True)
        read_plan = apigw.create_usage_plan(
            name="r", apiStages=[{"apiId": api_id, "stage": "local"}]
        )
        apigw.create_usage_plan_key(
            usagePlanId=read_plan["id"], keyId=reader["id"], keyType="API_KEY"
        )
        unplanned = apigw.create_api_key(name="no-plan", enabled=True)
        yield {
            "base": f"{endpoints['api']}/local",
            "by_id": f"{endpoints['api']}/_api/{api_id}/local",
            "key": key["value"],
            "key_id": key["id"],
            "reader_key": reader["value"],
            "reader_key_id": reader["id"],
            "disabled_key": disabled["value"],
            "unplanned_key": unplanned["value"],
            "api": endpoints["api"],
        }


def test_post_becomes_a_rest_proxy_event(api: dict[str, Any]) -> None:
    response = requests.post(f"{api['base']}/jira/webhook?x=1", data='{"a": 1}', timeout=10)

    assert response.status_code == 201
    seen = response.json()
    assert seen["resource"] == "/jira/webhook"
    assert seen["path"] == "/jira/webhook"
    assert seen["query"] == {"x": "1"}
    assert json.loads(seen["body"]) == {"a": 1}
    assert seen["stage"] == "local"
    assert seen["sourceIp"] == "127.0.0.1"


def test_path_parameters_and_a_valid_api_key(api: dict[str, Any]) -> None:
    response = requests.get(
        f"{api['base']}/requests/OPS-7", headers={"x-api-key": api["key"]}, timeout=10
    )

    assert response.status_code == 201
    assert response.json()["pathParameters"] == {"issueKey": "OPS-7"}


@pytest.mark.parametrize("key_name", ["key", "reader_key"])
def test_the_function_is_told_which_key_was_let_in(api: dict[str, Any], key_name: str) -> None:
    # As API Gateway: requestContext.identity.apiKeyId of whichever plan's key it was.
    response = requests.get(
        f"{api['base']}/requests/OPS-7", headers={"x-api-key": api[key_name]}, timeout=10
    )

    assert response.status_code == 201
    assert response.json()["apiKeyId"] == api[f"{key_name}_id"]


def test_a_route_without_a_key_tells_no_key_id(api: dict[str, Any]) -> None:
    response = requests.post(
        f"{api['base']}/jira/webhook", data="{}", headers={"x-api-key": api["key"]}, timeout=10
    )

    assert response.json()["apiKeyId"] is None


@pytest.mark.parametrize("key_name", [None, "disabled_key", "unplanned_key"])
def test_keyed_route_without_a_usable_key_is_403(api: dict[str, Any], key_name: str | None) -> None:
    headers = {"x-api-key": api[key_name]} if key_name else {}

    response = requests.get(f"{api['base']}/requests/OPS-7", headers=headers, timeout=10)

    assert response.status_code == 403
    assert response.json() == {"message": "Forbidden"}


def test_greedy_proxy_route_takes_any_method_and_depth(api: dict[str, Any]) -> None:
    response = requests.put(f"{api['by_id']}/mock/enrich/deep", data="x", timeout=10)

    assert response.status_code == 201
    assert response.json()["pathParameters"] == {"proxy": "enrich/deep"}


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/jira/webhook"), ("POST", "/nope"), ("POST", "/../other-stage/jira/webhook")],
)
def test_unknown_route_is_missing_authentication_token(
    api: dict[str, Any], method: str, path: str
) -> None:
    response = requests.request(method, f"{api['base']}{path}", timeout=10)

    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}


def test_unknown_api_id_is_404(api: dict[str, Any]) -> None:
    response = requests.post(f"{api['api']}/_api/nosuchapi/local/jira/webhook", timeout=10)

    assert response.status_code == 404


@pytest.mark.parametrize("route", ["broken", "failing"])
def test_malformed_or_failed_function_result_is_502(api: dict[str, Any], route: str) -> None:
    response = requests.post(f"{api['base']}/jira/{route}", data="{}", timeout=10)

    assert response.status_code == 502
    assert response.json() == {"message": "Internal server error"}
