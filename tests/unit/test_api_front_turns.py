"""API invocations in the emulator take turns: Powertools keeps the event on a class."""

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
