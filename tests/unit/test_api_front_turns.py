"""API invocations in the emulator: one function's take turns (Powertools keeps the event
on a class), different functions run side by side."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from local_cloud import api_front


def test_two_api_invocations_never_overlap(monkeypatch: pytest.MonkeyPatch) -> None:
    active = peak = 0
    counting = threading.Lock()

    def slow_invoke(function_arn: str, event: dict[str, Any]) -> tuple[str, bool]:
        nonlocal active, peak
        with counting:
            active += 1
            peak = max(peak, active)
        time.sleep(0.02)
        with counting:
            active -= 1
        return json.dumps({"statusCode": 200, "body": "{}"}), False

    front = api_front.ApiGatewayFront("123456789012", "eu-west-1", invoke=slow_invoke)
    match = SimpleNamespace(route=SimpleNamespace(function_arn="arn:aws:lambda:fn"))
    monkeypatch.setattr(front, "_authorised_route", lambda request: (match, None))
    monkeypatch.setattr(api_front, "proxy_event", lambda request, found, source_ip, key_id: {})
    requests = [Request(EnvironBuilder(method="POST").get_environ()) for _ in range(12)]

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda r: front.handle(r, "127.0.0.1").status_code, requests))

    assert answers == [200] * 12
    assert peak == 1


def test_different_functions_run_side_by_side(monkeypatch: pytest.MonkeyPatch) -> None:
    # One queue for every route made the mock external API wait behind every callback.
    both_inside = threading.Barrier(2, timeout=5)

    def meeting_invoke(function_arn: str, event: dict[str, Any]) -> tuple[str, bool]:
        both_inside.wait()  # raises BrokenBarrierError if the other never gets in
        return json.dumps({"statusCode": 200, "body": "{}"}), False

    front = api_front.ApiGatewayFront("123456789012", "eu-west-1", invoke=meeting_invoke)
    routes = {
        "/a": SimpleNamespace(route=SimpleNamespace(function_arn="arn:aws:lambda:a")),
        "/b": SimpleNamespace(route=SimpleNamespace(function_arn="arn:aws:lambda:b")),
    }
    monkeypatch.setattr(front, "_authorised_route", lambda request: (routes[request.path], None))
    monkeypatch.setattr(api_front, "proxy_event", lambda request, found, source_ip, key_id: {})
    requests = [Request(EnvironBuilder(method="POST", path=p).get_environ()) for p in routes]

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda r: front.handle(r, "127.0.0.1").status_code, requests))

    assert answers == [200, 200]
