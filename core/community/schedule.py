"""Weekly schedule rules: input validation, grouping by weekday and upcoming instances.

Entries store wall-clock times in their own IANA time zone, so "Monday 18:00
America/New_York" stays at 18:00 local time on both sides of a daylight-saving
change. An entry whose end time is not after its start time ends on the next day.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from core.errors import FieldError, InvalidInput

WEEKDAY_NAMES = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)

#: Maximum look-ahead of the upcoming-instances query, in days.
MAX_UPCOMING_DAYS = 30

_WALL_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@functools.cache
def _known_timezones() -> frozenset[str]:
    # NOTE: the first call walks the tz database on disk, once per process.
    # Debian's tzdata package (Debian 12) links "localtime" to /etc/localtime,
    # the host's own zone. It is no IANA name and can differ between hosts.
    return frozenset(zoneinfo.available_timezones()) - {"localtime"}


def load_timezone(name: str, field: str = "timezone") -> zoneinfo.ZoneInfo:
    """Return the zone called ``name``, or raise InvalidInput naming ``field``.

    Only names from the installed tz database are accepted, so a path-like or
    misspelt value never reaches ``ZoneInfo``.
    """
    if name not in _known_timezones():
        raise InvalidInput(
            f"unknown time zone {name!r}: use an IANA name such as 'America/New_York'",
            [FieldError("body", field, "must be an IANA time zone name")],
        )
    return zoneinfo.ZoneInfo(name)


def parse_wall_time(value: str, field: str) -> time:
    """Parse ``HH:MM`` (24-hour clock), or raise InvalidInput naming ``field``."""
    match = _WALL_TIME.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidInput(
            f"invalid {field} {value!r}: use 24-hour HH:MM, e.g. '18:30'",
            [FieldError("body", field, "must be a 24-hour time in HH:MM format")],
        )
    return time(int(match.group(1)), int(match.group(2)))


def check_day_of_week(value: int, field: str = "day_of_week") -> int:
    """Return ``value`` if it is 0 (Monday) to 6 (Sunday), or raise InvalidInput."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 6:
        raise InvalidInput(
            f"invalid {field} {value!r}: use 0 for Monday up to 6 for Sunday",
            [
                FieldError(
                    "body", field, "must be an integer from 0 (Monday) to 6 (Sunday)"
                )
            ],
        )
    return value


def check_time_range(start: time, end: time) -> None:
    """Reject an entry whose start and end are equal; an end before the start is overnight."""
    if start == end:
        raise InvalidInput(
            f"end_time {end:%H:%M} equals start_time: an entry must last at least one minute",
            [FieldError("body", "end_time", "must differ from start_time")],
        )


def format_wall_time(value: time) -> str:
    return f"{value:%H:%M}"


def localize(day: date, wall_time: time, zone: zoneinfo.ZoneInfo) -> datetime:
    """Return the instant that reads ``wall_time`` on ``day`` in ``zone``.

    A wall time skipped by a spring-forward change is read with the offset in
    force before the change, so 02:30 on that day becomes 03:30 daylight
    time, as RFC 5545 section 3.3.5 prescribes. A repeated wall time in the
    autumn resolves to its first occurrence.
    """
    naive_instant = datetime.combine(day, wall_time, tzinfo=zone)
    return naive_instant.astimezone(UTC).astimezone(zone)


def occurrence_bounds(
    day: date, start: time, end: time, zone: zoneinfo.ZoneInfo
) -> tuple[datetime, datetime]:
    """Return the start and end of the instance starting on local ``day``."""
    end_day = day if end > start else day + timedelta(days=1)
    return localize(day, start, zone), localize(end_day, end, zone)


@dataclass(frozen=True)
class Occurrence:
    """One dated instance of a weekly entry, in the entry's time zone."""

    entry: Mapping[str, Any]
    starts_at: datetime
    ends_at: datetime

    @property
    def entry_id(self) -> UUID:
        return self.entry["id"]


def upcoming_occurrences(
    entries: Iterable[Mapping[str, Any]], now: datetime, days: int
) -> list[Occurrence]:
    """List instances that have not ended by ``now`` and start within ``days`` days.

    ``days`` counts 24-hour periods from ``now``. An instance already under way
    at ``now`` is included, so a viewer sees the session that is on right now.
    The result is sorted by start instant.
    """
    if not 1 <= days <= MAX_UPCOMING_DAYS:
        raise InvalidInput(
            f"invalid days {days}: use 1 to {MAX_UPCOMING_DAYS}",
            [FieldError("query", "days", f"must be from 1 to {MAX_UPCOMING_DAYS}")],
        )
    horizon = now + timedelta(days=days)
    found: list[Occurrence] = []
    for entry in entries:
        zone = zoneinfo.ZoneInfo(entry["timezone"])
        # Start one local day early: an overnight instance that began yesterday
        # may still be running now.
        day = now.astimezone(zone).date() - timedelta(days=1)
        last_day = horizon.astimezone(zone).date()
        while day <= last_day:
            if day.weekday() == entry["day_of_week"]:
                starts_at, ends_at = occurrence_bounds(
                    day, entry["start_time"], entry["end_time"], zone
                )
                if ends_at > now and starts_at < horizon:
                    found.append(Occurrence(entry, starts_at, ends_at))
            day += timedelta(days=1)
    # Compare in UTC: Python compares two datetimes sharing one tzinfo by wall
    # clock, which misorders the repeated hour of an autumn change.
    found.sort(
        key=lambda occurrence: (
            occurrence.starts_at.astimezone(UTC),
            str(occurrence.entry_id),
        )
    )
    return found


def group_by_weekday(
    entries: Iterable[Mapping[str, Any]],
) -> list[list[Mapping[str, Any]]]:
    """Return seven lists, Monday first, each sorted by start time then title."""
    days: list[list[Mapping[str, Any]]] = [[] for _ in WEEKDAY_NAMES]
    for entry in entries:
        days[entry["day_of_week"]].append(entry)
    for day_entries in days:
        day_entries.sort(
            key=lambda entry: (entry["start_time"], entry["title"], str(entry["id"]))
        )
    return days


def first_occurrence_on_or_after(day: date, day_of_week: int) -> date:
    """Return the first date from ``day`` on that falls on ``day_of_week`` (0 = Monday)."""
    return day + timedelta(days=(day_of_week - day.weekday()) % 7)
