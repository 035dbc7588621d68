"""The mock external API: fault plans, enrichment, idempotent fulfilment, and its handler."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mock_apis.errors import MissingCredentials
from mock_apis.handlers import mock_external_api as mock_handler
from mock_apis.services.mock_external_api import (
    Fault,
    FaultPlanError,
    MockExternalApi,
    fault_from,
    parse_fault_plan,
    risk_score,
)
from tests.support.lambda_events import FakeLambdaContext, api_event, response_json

BEARER = {"Authorization": "Bearer test-token"}


def api(faults: dict[str, Fault] | None = None) -> tuple[MockExternalApi, list[float]]:
    slept: list[float] = []
    return MockExternalApi(faults or {}, sleep=slept.append), slept


# ---- parse_fault_plan ------------------------------------------------------------------


def test_empty_plan_has_no_faults() -> None:
    assert parse_fault_plan("") == {}
    assert parse_fault_plan(" , ,") == {}


def test_plan_parses_mode_rate_and_remaining() -> None:
    plan = parse_fault_plan("enrich=503:0.2, fulfil=timeout:1:2")

    assert plan == {
        "enrich": Fault(mode="503", rate=0.2, remaining=None),
        "fulfil": Fault(mode="timeout", rate=1.0, remaining=2),
    }


@pytest.mark.parametrize("mode", ["500", "503", "429", "400", "timeout", "slow"])
def test_every_mode_parses_with_default_rate(mode: str) -> None:
    assert parse_fault_plan(f"enrich={mode}") == {"enrich": Fault(mode=mode, rate=1.0)}


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("status=503", "endpoint"),
        ("enrich", "mode"),
        ("enrich=", "mode"),
        ("enrich=404", "mode"),
        ("enrich=TIMEOUT", "mode"),
        ("enrich=503:abc", "numbers"),
        ("enrich=503:0.5:two", "numbers"),
        ("enrich=503:0.5:1.5", "numbers"),
        ("enrich=503:1.5", "within 0..1"),
        ("enrich=503:-0.1", "within 0..1"),
        ("enrich=503:nan", "within 0..1"),
        ("enrich=503:1:-1", "not negative"),
        ("enrich=503,bogus=500", "endpoint"),
    ],
)
def test_bad_plan_raises_fault_plan_error(spec: str, problem: str) -> None:
    with pytest.raises(FaultPlanError, match=problem):
        parse_fault_plan(spec)


def test_fault_plan_error_is_a_value_error() -> None:
    assert issubclass(FaultPlanError, ValueError)


def test_fault_from_rejects_negative_seconds() -> None:
    with pytest.raises(FaultPlanError):
        fault_from("enrich", {"mode": "slow", "seconds": -1})


# ---- enrich ----------------------------------------------------------------------------


@pytest.mark.parametrize(("label", "score"), [("risk-0", 0), ("risk-5", 5), ("risk-100", 100)])
def test_risk_label_sets_the_score(label: str, score: int) -> None:
    service, _ = api()

    answer = service.enrich({"issueKey": "OPS-1", "summary": "x", "labels": ["urgent", label]})

    assert answer.status_code == 200
    assert answer.body["riskScore"] == score


def test_risk_label_above_100_is_capped() -> None:
    assert risk_score({"labels": ["risk-250"]}) == 100


@pytest.mark.parametrize("label", ["RISK-5", "risk-", "risk-5x", "risk-1000", "xrisk-5"])
def test_malformed_risk_label_falls_back_to_the_hash(label: str) -> None:
    summary = "Grant read access"

    assert risk_score({"summary": summary, "labels": [label]}) == risk_score({"summary": summary})


@given(summary=st.text(max_size=200))
def test_score_without_label_is_stable_and_within_20_to_100(summary: str) -> None:
    score = risk_score({"summary": summary})

    assert 20 <= score <= 100
    assert score == risk_score({"summary": summary, "labels": ["other"]})


def test_enrich_without_issue_key_is_400() -> None:
    service, _ = api()

    answer = service.enrich({"summary": "x"})

    assert answer.status_code == 400
    assert "issueKey" in answer.body["message"]


def test_enrich_answers_category_and_owner() -> None:
    service, _ = api()

    body = service.enrich({"issueKey": "OPS-1", "summary": "Grant ACCESS to billing"}).body

    assert body["issueKey"] == "OPS-1"
    assert body["category"] == "access"
    assert body["owner"]


# ---- fulfil ----------------------------------------------------------------------------


def test_fulfil_is_idempotent_by_key() -> None:
    service, _ = api()

    first = service.fulfil({"issueKey": "OPS-1"}, "OPS-1-abc")
    second = service.fulfil({"issueKey": "OPS-1"}, "OPS-1-abc")

    assert first.status_code == second.status_code == 200
    assert first.body["fulfilmentId"] == second.body["fulfilmentId"]
    assert first.body["replayed"] is False
    assert second.body["replayed"] is True


def test_different_keys_get_different_fulfilments() -> None:
    service, _ = api()

    first = service.fulfil({"issueKey": "OPS-1"}, "OPS-1-abc").body["fulfilmentId"]
    second = service.fulfil({"issueKey": "OPS-1"}, "OPS-1-def").body["fulfilmentId"]

    assert first != second


def test_fulfil_without_idempotency_key_is_400() -> None:
    service, _ = api()

    answer = service.fulfil({"issueKey": "OPS-1"}, "")

    assert answer.status_code == 400
    assert "Idempotency-Key" in answer.body["message"]


# ---- faults ----------------------------------------------------------------------------


def test_count_limited_fault_stops_after_n_hits() -> None:
    service, _ = api({"enrich": Fault(mode="503", rate=1.0, remaining=2)})

    statuses = [service.enrich({"issueKey": "OPS-1"}).status_code for _ in range(5)]

    assert statuses == [503, 503, 200, 200, 200]
    assert service.faults()["enrich"]["remaining"] == 0
    assert service.calls["enrich"] == 5


def test_zero_rate_fault_never_fires() -> None:
    service, _ = api({"enrich": Fault(mode="500", rate=0.0), "fulfil": Fault(mode="429", rate=0)})

    for index in range(200):
        assert service.enrich({"issueKey": "OPS-1"}).status_code == 200
        assert service.fulfil({"issueKey": "OPS-1"}, f"key-{index}").status_code == 200


def test_full_rate_fault_always_fires_with_its_status() -> None:
    service, _ = api({"fulfil": Fault(mode="429", rate=1.0)})

    for index in range(20):
        answer = service.fulfil({"issueKey": "OPS-1"}, f"key-{index}")
        assert answer.status_code == 429
        assert "429" in answer.body["message"]


def test_faulted_fulfilment_records_nothing() -> None:
    service, _ = api({"fulfil": Fault(mode="503", remaining=1)})

    assert service.fulfil({"issueKey": "OPS-1"}, "k").status_code == 503
    assert service.fulfil({"issueKey": "OPS-1"}, "k").body["replayed"] is False


def test_timeout_fault_sleeps_then_answers_504() -> None:
    service, slept = api({"enrich": Fault(mode="timeout", seconds=3)})

    answer = service.enrich({"issueKey": "OPS-1"})

    assert answer.status_code == 504
    assert slept == [3]


def test_slow_fault_sleeps_then_answers_normally() -> None:
    service, slept = api({"enrich": Fault(mode="slow", seconds=2)})

    assert service.enrich({"issueKey": "OPS-1"}).status_code == 200
    assert slept == [2]


def test_fault_on_one_endpoint_leaves_the_other_alone() -> None:
    service, _ = api({"enrich": Fault(mode="500")})

    assert service.fulfil({"issueKey": "OPS-1"}, "k").status_code == 200


# ---- the Lambda handler (API Gateway REST proxy) ---------------------------------------


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = mock_handler.handler(event, FakeLambdaContext())
    return response


def test_enrich_without_bearer_is_401() -> None:
    response = invoke(api_event("POST", "/mock/enrich", {"issueKey": "OPS-1"}))

    assert response["statusCode"] == 401
    assert response_json(response)["error"] == "MissingCredentials"


def test_missing_credentials_answers_401_with_type_and_reason_and_no_retry_after() -> None:
    # The mock's own error, answered in the product's shape (was in test_http_errors).
    response = invoke(api_event("POST", "/mock/enrich", {"issueKey": "OPS-1"}))
    body = response_json(response)

    assert response["statusCode"] == 401
    assert body["error"] == MissingCredentials.__name__
    assert body["reason"] == str(MissingCredentials("missing bearer token"))
    assert body["reason"]
    headers = {
        k.lower() for k in {**response.get("headers", {}), **response.get("multiValueHeaders", {})}
    }
    assert "retry-after" not in headers


@pytest.mark.parametrize("authorization", ["Bearer ", "Basic dXNlcjpwYXNz", "token abc"])
def test_enrich_with_a_non_bearer_authorization_is_401(authorization: str) -> None:
    event = api_event(
        "POST", "/mock/enrich", {"issueKey": "OPS-1"}, {"Authorization": authorization}
    )

    assert invoke(event)["statusCode"] == 401


def test_fulfil_without_bearer_is_401() -> None:
    event = api_event("POST", "/mock/fulfil", {"issueKey": "OPS-1"}, {"Idempotency-Key": "k"})

    assert invoke(event)["statusCode"] == 401


def test_enrich_with_bearer_is_200_with_a_risk_score() -> None:
    body = {"issueKey": "OPS-1", "summary": "x", "labels": ["risk-5"]}

    response = invoke(api_event("POST", "/mock/enrich", body, BEARER))

    assert response["statusCode"] == 200
    assert response_json(response)["riskScore"] == 5


def test_enrich_with_lowercase_authorization_header_is_200() -> None:
    event = api_event("POST", "/mock/enrich", {"issueKey": "OPS-1"}, {"authorization": "Bearer t"})

    assert invoke(event)["statusCode"] == 200


def test_enrich_with_a_body_that_is_not_json_is_400() -> None:
    response = invoke(api_event("POST", "/mock/enrich", "{not json", BEARER))

    assert response["statusCode"] == 400
    assert "JSON" in response_json(response)["reason"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"issueKey": "OPS-\xff"}', "not valid JSON: UnicodeDecodeError"),
        ('{"riskScore": ' + "9" * 5000 + "}", "not valid JSON: ValueError"),
        ('{"a": ' * 100_000 + "1" + "}" * 100_000, "not valid JSON: RecursionError"),
        ('{"issueKey": "\\ud800"}', "unpaired surrogate"),
    ],
    ids=["invalid-utf8", "huge-integer", "deep-nesting", "lone-surrogate"],
)
@pytest.mark.parametrize("route", ["/mock/enrich", "/mock/fulfil"])
def test_body_the_parser_cannot_take_is_400_with_a_reason(
    route: str, body: bytes | str, reason: str
) -> None:
    headers = {**BEARER, "Idempotency-Key": "k"}

    response = invoke(api_event("POST", route, body, headers))

    assert response["statusCode"] == 400
    answer = response_json(response)
    assert answer["error"] == "MalformedBody"
    assert reason in answer["reason"]


def test_put_faults_with_invalid_utf8_is_400() -> None:
    response = invoke(api_event("PUT", "/mock/faults", b'{"enrich": "\xff"}'))

    assert response["statusCode"] == 400
    assert "UnicodeDecodeError" in response_json(response)["reason"]


def test_fulfil_through_the_handler_replays_by_idempotency_key() -> None:
    headers = {**BEARER, "Idempotency-Key": "OPS-1-abc"}
    first = invoke(api_event("POST", "/mock/fulfil", {"issueKey": "OPS-1"}, headers))
    second = invoke(api_event("POST", "/mock/fulfil", {"issueKey": "OPS-1"}, headers))

    assert first["statusCode"] == second["statusCode"] == 200
    assert response_json(first)["replayed"] is False
    assert response_json(second)["replayed"] is True


def test_fulfil_through_the_handler_without_idempotency_key_is_400() -> None:
    response = invoke(api_event("POST", "/mock/fulfil", {"issueKey": "OPS-1"}, BEARER))

    assert response["statusCode"] == 400


@pytest.mark.parametrize(
    ("plan", "problem"),
    [
        ({"status": {"mode": "503"}}, "endpoint"),
        ({"enrich": {"mode": "404"}}, "mode"),
        ({"enrich": {"mode": "503", "rate": 2}}, "within 0..1"),
        ({"enrich": {"mode": "503", "rate": "often"}}, "numbers"),
        ({"enrich": {"mode": "503", "remaining": [1]}}, "numbers"),
        ({"enrich": "503"}, "fault plan"),
    ],
)
def test_put_faults_with_a_bad_plan_is_400_naming_the_problem(
    plan: dict[str, Any], problem: str
) -> None:
    response = invoke(api_event("PUT", "/mock/faults", plan))

    assert response["statusCode"] == 400
    body = response_json(response)
    assert body["error"] == "MalformedBody"
    assert problem in body["reason"]


def test_put_faults_with_a_non_object_body_is_400() -> None:
    assert invoke(api_event("PUT", "/mock/faults", "[1, 2]"))["statusCode"] == 400


def test_put_faults_then_calls_hit_the_fault_and_get_shows_calls() -> None:
    plan = {"enrich": {"mode": "503", "rate": 1, "remaining": 1}}
    put = invoke(api_event("PUT", "/mock/faults", plan))
    assert put["statusCode"] == 200
    assert response_json(put)["faults"]["enrich"]["remaining"] == 1

    statuses = [
        invoke(api_event("POST", "/mock/enrich", {"issueKey": "OPS-1"}, BEARER))["statusCode"]
        for _ in range(3)
    ]
    shown = response_json(invoke(api_event("GET", "/mock/faults")))

    assert statuses == [503, 200, 200]
    assert shown["calls"] == {"enrich": 3, "fulfil": 0}
    assert shown["faults"]["enrich"]["remaining"] == 0


def test_put_empty_plan_clears_the_faults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCK_FAULTS", "enrich=500")
    assert "enrich" in response_json(invoke(api_event("GET", "/mock/faults")))["faults"]

    assert invoke(api_event("PUT", "/mock/faults", {}))["statusCode"] == 200

    assert response_json(invoke(api_event("GET", "/mock/faults")))["faults"] == {}
    event = api_event("POST", "/mock/enrich", {"issueKey": "OPS-1"}, BEARER)
    assert invoke(event)["statusCode"] == 200


def test_mock_faults_environment_sets_the_plan_at_cold_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MOCK_FAULTS", "fulfil=429:1:1")

    shown = response_json(invoke(api_event("GET", "/mock/faults")))
    headers = {**BEARER, "Idempotency-Key": "k"}
    first = invoke(api_event("POST", "/mock/fulfil", {"issueKey": "OPS-1"}, headers))
    second = invoke(api_event("POST", "/mock/fulfil", {"issueKey": "OPS-1"}, headers))

    assert shown["faults"]["fulfil"]["mode"] == "429"
    assert (first["statusCode"], second["statusCode"]) == (429, 200)


def test_unknown_mock_route_is_404() -> None:
    response = invoke(api_event("POST", "/mock/other", {}, BEARER))

    assert response["statusCode"] == 404
    assert response_json(response)["reason"]
