"""Which signed deliveries are too old to start or decide anything (domain.freshness)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jira_workflow.domain.freshness import (
    DEFAULT_MAX_AGE,
    JIRA_RETRY_WINDOW,
    delivery_expiry,
    sent_at,
    stale_reason,
)

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_jira_timestamp_is_epoch_milliseconds() -> None:
    assert sent_at(1764300000123) == datetime(2025, 11, 28, 3, 20, 0, 123000, tzinfo=UTC)


def test_recent_delivery_for_an_issue_without_a_request_may_act() -> None:
    assert stale_reason(NOW - timedelta(minutes=5), NOW, HOUR, None) is None


def test_jira_retry_at_the_end_of_its_window_may_act() -> None:
    sent = NOW - JIRA_RETRY_WINDOW
    assert stale_reason(sent, NOW, DEFAULT_MAX_AGE, NOW - 2 * HOUR) is None


def test_delivery_older_than_the_window_is_stale() -> None:
    reason = stale_reason(NOW - HOUR - timedelta(seconds=1), NOW, HOUR, None)

    assert reason == (
        "delivery sent at 2026-11-29T10:59:59.000Z is older than the 3600 s window for webhooks"
    )


def test_delivery_older_than_the_current_request_is_stale() -> None:
    created = NOW - timedelta(minutes=1)

    reason = stale_reason(created - timedelta(milliseconds=1), NOW, HOUR, created)

    assert reason is not None
    assert "older than the issue's current request (created 2026-11-29T11:59:00.000Z)" in reason


@pytest.mark.parametrize("after", [timedelta(0), timedelta(milliseconds=1)])
def test_delivery_from_the_request_onwards_may_act(after: timedelta) -> None:
    created = NOW - timedelta(minutes=1)
    assert stale_reason(created + after, NOW, HOUR, created) is None


def test_clock_skew_ahead_of_ours_is_not_stale() -> None:
    assert stale_reason(NOW + timedelta(seconds=30), NOW, HOUR, None) is None


def test_delivery_record_outlives_every_copy_still_acted_on() -> None:
    expiry = delivery_expiry(NOW, HOUR)

    assert expiry > (NOW + HOUR).timestamp()
    assert expiry - NOW.timestamp() > JIRA_RETRY_WINDOW.total_seconds()
