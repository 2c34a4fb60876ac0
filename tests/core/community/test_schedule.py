"""Schedule validation, weekday grouping and upcoming instances across DST changes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.community.schedule import (
    check_day_of_week,
    check_time_range,
    group_by_weekday,
    load_timezone,
    occurrence_bounds,
    parse_wall_time,
    upcoming_occurrences,
)
from core.errors import InvalidInput

NEW_YORK = ZoneInfo("America/New_York")
SYDNEY = ZoneInfo("Australia/Sydney")


def make_entry(
    day_of_week: int, start: str, end: str, timezone: str, title: str = ""
) -> dict:
    return {
        "id": uuid.uuid4(),
        "day_of_week": day_of_week,
        "start_time": parse_wall_time(start, "start_time"),
        "end_time": parse_wall_time(end, "end_time"),
        "timezone": timezone,
        "title": title,
    }


@pytest.mark.parametrize("value", ["00:00", "09:05", "18:30", "23:59"])
def test_parse_wall_time_accepts_hh_mm(value: str) -> None:
    parsed = parse_wall_time(value, "start_time")

    assert f"{parsed:%H:%M}" == value


@pytest.mark.parametrize(
    "value", ["24:00", "7:30", "18:60", "18:30:00", "6pm", "", " 18:30"]
)
def test_parse_wall_time_rejects_malformed(value: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_wall_time(value, "start_time")

    assert raised.value.errors[0].field == "start_time"


@pytest.mark.parametrize(
    "name", ["Mars/Olympus", "america/new_york", "../../etc/passwd", ""]
)
def test_load_timezone_rejects_unknown(name: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        load_timezone(name)

    assert raised.value.errors[0].field == "timezone"


def test_load_timezone_accepts_iana_name() -> None:
    assert load_timezone("Australia/Sydney") == SYDNEY


@pytest.mark.parametrize("value", [-1, 7, 100, True])
def test_day_of_week_rejects_out_of_range(value: int) -> None:
    with pytest.raises(InvalidInput) as raised:
        check_day_of_week(value)

    assert raised.value.errors[0].field == "day_of_week"


def test_time_range_rejects_zero_length() -> None:
    with pytest.raises(InvalidInput) as raised:
        check_time_range(time(18, 0), time(18, 0))

    assert raised.value.errors[0].field == "end_time"


def test_occurrence_ending_after_midnight_ends_next_day() -> None:
    starts_at, ends_at = occurrence_bounds(
        datetime(2026, 5, 1).date(), time(23, 0), time(1, 30), NEW_YORK
    )

    assert starts_at == datetime(2026, 5, 1, 23, 0, tzinfo=NEW_YORK)
    assert ends_at == datetime(2026, 5, 2, 1, 30, tzinfo=NEW_YORK)
    assert ends_at - starts_at == timedelta(hours=2, minutes=30)


def test_upcoming_new_york_spring_forward() -> None:
    # DST starts in New York on Sunday 2026-03-08 at 02:00 local time.
    entry = make_entry(0, "18:00", "20:00", "America/New_York")
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    found = upcoming_occurrences([entry], now, 14)

    assert [o.starts_at.date().isoformat() for o in found] == [
        "2026-03-02",
        "2026-03-09",
    ]
    assert [f"{o.starts_at:%H:%M}" for o in found] == ["18:00", "18:00"]
    assert found[0].starts_at.astimezone(UTC) == datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
    assert found[1].starts_at.astimezone(UTC) == datetime(2026, 3, 9, 22, 0, tzinfo=UTC)
    assert found[1].ends_at.astimezone(UTC) == datetime(2026, 3, 10, 0, 0, tzinfo=UTC)


def test_upcoming_new_york_fall_back() -> None:
    # DST ends in New York on Sunday 2026-11-01 at 02:00 local time.
    entry = make_entry(5, "21:00", "23:00", "America/New_York")
    now = datetime(2026, 10, 26, 12, 0, tzinfo=UTC)

    found = upcoming_occurrences([entry], now, 14)

    assert [o.starts_at.astimezone(UTC) for o in found] == [
        datetime(2026, 11, 1, 1, 0, tzinfo=UTC),
        datetime(2026, 11, 8, 2, 0, tzinfo=UTC),
    ]


def test_upcoming_new_york_skipped_hour() -> None:
    # 02:30 does not exist on 2026-03-08 in New York, so it reads as 03:30 EDT.
    entry = make_entry(6, "02:30", "04:00", "America/New_York")
    now = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)

    found = upcoming_occurrences([entry], now, 1)

    assert len(found) == 1
    assert found[0].starts_at.astimezone(UTC) == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert f"{found[0].starts_at:%H:%M %Z}" == "03:30 EDT"
    duration = found[0].ends_at.astimezone(UTC) - found[0].starts_at.astimezone(UTC)
    assert duration == timedelta(minutes=30)


def test_upcoming_new_york_repeated_hour() -> None:
    # 01:00-02:00 happens twice on 2026-11-01. The instance takes the first
    # 01:30 (EDT) and ends at 02:30 EST, two hours later.
    entry = make_entry(6, "01:30", "02:30", "America/New_York")
    now = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)

    found = upcoming_occurrences([entry], now, 1)

    assert len(found) == 1
    assert found[0].starts_at.astimezone(UTC) == datetime(
        2026, 11, 1, 5, 30, tzinfo=UTC
    )
    assert found[0].ends_at.astimezone(UTC) == datetime(2026, 11, 1, 7, 30, tzinfo=UTC)


def test_upcoming_sydney_dst_end() -> None:
    # Sydney leaves daylight time (UTC+11 -> UTC+10) on Sunday 2026-04-05.
    entry = make_entry(5, "20:00", "22:00", "Australia/Sydney")
    now = datetime(2026, 3, 30, 0, 0, tzinfo=UTC)

    found = upcoming_occurrences([entry], now, 14)

    assert [f"{o.starts_at:%Y-%m-%d %H:%M}" for o in found] == [
        "2026-04-04 20:00",
        "2026-04-11 20:00",
    ]
    assert found[0].starts_at.astimezone(UTC) == datetime(2026, 4, 4, 9, 0, tzinfo=UTC)
    assert found[1].starts_at.astimezone(UTC) == datetime(
        2026, 4, 11, 10, 0, tzinfo=UTC
    )


def test_upcoming_sydney_dst_start() -> None:
    # Sydney enters daylight time (UTC+10 -> UTC+11) on Sunday 2026-10-04.
    entry = make_entry(5, "20:00", "22:00", "Australia/Sydney")
    now = datetime(2026, 9, 28, 0, 0, tzinfo=UTC)

    found = upcoming_occurrences([entry], now, 14)

    assert [o.starts_at.astimezone(UTC) for o in found] == [
        datetime(2026, 10, 3, 10, 0, tzinfo=UTC),
        datetime(2026, 10, 10, 9, 0, tzinfo=UTC),
    ]


def test_upcoming_overnight_across_sydney_dst() -> None:
    # Saturday 23:00 to Sunday 04:00 across the 02:00 -> 03:00 jump lasts 4 hours.
    entry = make_entry(5, "23:00", "04:00", "Australia/Sydney")
    now = datetime(2026, 10, 2, 0, 0, tzinfo=UTC)

    found = upcoming_occurrences([entry], now, 2)

    assert len(found) == 1
    assert found[0].ends_at.date().isoformat() == "2026-10-04"
    # Subtract in UTC: datetimes sharing a tzinfo subtract by wall clock.
    duration = found[0].ends_at.astimezone(UTC) - found[0].starts_at.astimezone(UTC)
    assert duration == timedelta(hours=4)


def test_upcoming_includes_instance_in_progress() -> None:
    entry = make_entry(4, "23:00", "02:00", "America/New_York")
    # Saturday 2026-05-02 00:30 in New York: Friday's instance is still on.
    now = datetime(2026, 5, 2, 0, 30, tzinfo=NEW_YORK)

    found = upcoming_occurrences([entry], now, 1)

    assert len(found) == 1
    assert found[0].starts_at == datetime(2026, 5, 1, 23, 0, tzinfo=NEW_YORK)


def test_upcoming_excludes_ended_and_beyond_horizon() -> None:
    entry = make_entry(0, "10:00", "11:00", "UTC")
    # Monday 2026-05-04 12:00 UTC: today's instance ended, next is 7 days out.
    now = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)

    assert upcoming_occurrences([entry], now, 6) == []
    assert len(upcoming_occurrences([entry], now, 7)) == 1


def test_upcoming_sorts_entries_by_start() -> None:
    late = make_entry(2, "20:00", "21:00", "UTC", "late")
    early = make_entry(1, "20:00", "21:00", "UTC", "early")
    now = datetime(2026, 5, 4, 0, 0, tzinfo=UTC)

    found = upcoming_occurrences([late, early], now, 7)

    assert [o.entry["title"] for o in found] == ["early", "late"]


@pytest.mark.parametrize("days", [0, 31, -1])
def test_upcoming_rejects_days_out_of_range(days: int) -> None:
    with pytest.raises(InvalidInput) as raised:
        upcoming_occurrences([], datetime(2026, 5, 4, tzinfo=UTC), days)

    assert raised.value.errors[0].field == "days"


def test_group_by_weekday_orders_by_start() -> None:
    evening = make_entry(2, "20:00", "21:00", "UTC", "evening")
    morning = make_entry(2, "08:00", "09:00", "UTC", "morning")
    sunday = make_entry(6, "12:00", "13:00", "UTC", "sunday")

    days = group_by_weekday([evening, sunday, morning])

    assert len(days) == 7
    assert [e["title"] for e in days[2]] == ["morning", "evening"]
    assert [e["title"] for e in days[6]] == ["sunday"]
    assert all(days[index] == [] for index in (0, 1, 3, 4, 5))
