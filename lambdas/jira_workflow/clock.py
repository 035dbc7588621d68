"""Time as the workflow records it: UTC, ISO-8601 with milliseconds and a `Z` suffix."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> str:
    return iso(datetime.now(UTC))


def iso(moment: datetime) -> str:
    """The one timestamp format stored records use, so strings compare as times."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def epoch_seconds() -> int:
    return int(datetime.now(UTC).timestamp())
