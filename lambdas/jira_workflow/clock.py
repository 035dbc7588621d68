"""Time as the workflow records it: UTC, ISO-8601, second precision."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def epoch_seconds() -> int:
    return int(datetime.now(UTC).timestamp())
