"""The external API client: its one call is bounded by the invocation's remaining time."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from jira_workflow.adapters.external_api import ExternalApi
from jira_workflow.domain.errors import ExternalServiceUnavailable


class RecordingSession(requests.Session):
    def __init__(self) -> None:
        super().__init__()
        self.timeouts: list[float] = []

    def post(self, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        self.timeouts.append(float(kwargs["timeout"]))
        response = requests.Response()
        response.status_code = 200
        response._content = b'{"fulfilmentId": "FUL-1"}'
        return response


def api(session: RecordingSession, remaining: float) -> ExternalApi:
    return ExternalApi(
        session,
        "https://api.test/enrich",
        "https://api.test/fulfil",
        lambda: "token",
        10.0,
        remaining=lambda: remaining,
    )


def test_the_timeout_shrinks_to_the_time_left() -> None:
    session = RecordingSession()

    assert api(session, remaining=4.5).fulfil({}, idempotency_key="k")["fulfilmentId"] == "FUL-1"
    assert session.timeouts == [4.5]


def test_the_configured_timeout_applies_when_there_is_time() -> None:
    session = RecordingSession()
    api(session, remaining=27.0).enrich({})
    assert session.timeouts == [10.0]


def test_no_call_is_made_without_time_for_it() -> None:
    session = RecordingSession()

    with pytest.raises(ExternalServiceUnavailable, match="no time left"):
        api(session, remaining=0.4).fulfil({}, idempotency_key="k")
    assert session.timeouts == []
