"""Current time in UTC; the one place the services read the clock."""

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
