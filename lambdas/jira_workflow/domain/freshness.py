"""Whether a signed Jira delivery is recent enough to start or decide anything.

A signature proves who wrote a body, not when: a captured body verifies forever. Jira's
payload carries `timestamp` (epoch milliseconds, when the event happened) inside what is
signed, so that is what bounds a replay: a delivery older than the issue's current request
cannot be about it, and one older than the window is no retry Jira would still send.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from jira_workflow.clock import iso

# Jira Cloud retries a failed delivery (408, 409, 425, 429, 5xx or no answer) for up to
# 30 minutes (Atlassian's "New Jira Cloud webhook retry policy", linked from
# developer.atlassian.com/cloud/jira/platform/webhooks/#retry-policy). A shorter window
# would ignore Jira's own late retries.
JIRA_RETRY_WINDOW = timedelta(minutes=30)
DEFAULT_MAX_AGE = timedelta(hours=1)  # Jira's retries, plus room for clock skew
LONGEST_MAX_AGE = timedelta(days=7)  # longer is a backfill: the reconciler's job
# A delivery's record outlives the window by this much, so a retry Jira may still send
# always finds it (the table's TTL deletes it later, within days).
DELIVERY_KEPT_BEYOND_WINDOW = timedelta(days=1)


def sent_at(timestamp_ms: int) -> datetime:
    """The moment a Jira webhook's `timestamp` (epoch milliseconds) names."""
    return datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC)


def stale_reason(
    sent: datetime,
    now: datetime,
    max_age: timedelta,
    current_request_created: datetime | None,
) -> str | None:
    """Why a delivery sent at `sent` must not start or decide anything; None if it may.

    `current_request_created` is when the issue's current request was claimed, if it has
    one: an event from before it belongs to an earlier request (or to none).
    """
    age = now - sent
    if age > max_age:
        return (
            f"delivery sent at {iso(sent)} is older than the {int(max_age.total_seconds())} s "
            "window for webhooks"
        )
    if current_request_created is not None and sent < current_request_created:
        return (
            f"delivery sent at {iso(sent)} is older than the issue's current request "
            f"(created {iso(current_request_created)})"
        )
    return None


def delivery_expiry(now: datetime, max_age: timedelta) -> int:
    """Epoch seconds after which a delivery's record may go (the table's TTL attribute)."""
    return int((now + max_age + DELIVERY_KEPT_BEYOND_WINDOW).timestamp())
