"""iCalendar feed: RFC 5545 layout, parse-back and DST-correct time zones."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time

import icalendar
import pytest
from dateutil.rrule import rrulestr

from core.community.ical import build_schedule_calendar
from core.community.schedule import upcoming_occurrences

OWNER = {"username": "alice", "display_name": "Alice Chen"}
CREATED = datetime(2026, 2, 20, 12, 0, tzinfo=UTC)


def make_entry(
    day_of_week: int, start: time, end: time, timezone: str, title: str = ""
) -> dict:
    return {
        "id": uuid.uuid4(),
        "day_of_week": day_of_week,
        "start_time": start,
        "end_time": end,
        "timezone": timezone,
        "title": title,
        "created_at": CREATED,
        "updated_at": CREATED,
    }


def render(entries: list[dict], today: date = date(2026, 2, 20)) -> bytes:
    return build_schedule_calendar(
        OWNER, entries, public_base_url="https://live.example.com", today=today
    )


def test_feed_uses_crlf_and_folds_at_75_octets() -> None:
    title = "Évening coding — " + "ü" * 80
    feed = render([make_entry(0, time(18), time(20), "America/New_York", title)])

    assert feed.endswith(b"\r\n")
    assert b"\n" not in feed.replace(b"\r\n", b"")
    lines = feed.split(b"\r\n")[:-1]
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)
    for line in lines:
        line.decode("utf-8")  # folding never splits a multi-byte character
    parsed = icalendar.Calendar.from_ical(feed)
    assert str(parsed.events[0]["SUMMARY"]) == title


def test_feed_parses_back_with_weekly_rule_and_tzid() -> None:
    entry = make_entry(0, time(18), time(20), "America/New_York", "Evening coding")

    parsed = icalendar.Calendar.from_ical(render([entry]))

    assert parsed["VERSION"] == "2.0"
    assert parsed["PRODID"]
    (event,) = parsed.events
    assert event["UID"] == f"schedule-{entry['id']}@live.example.com"
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert event["DTEND"].params["TZID"] == "America/New_York"
    assert event.decoded("DTSTART").replace(tzinfo=None) == datetime(2026, 2, 23, 18, 0)
    assert event.decoded("DTEND").replace(tzinfo=None) == datetime(2026, 2, 23, 20, 0)
    rule = event["RRULE"]
    assert rule["FREQ"] == ["WEEKLY"]
    assert rule["BYDAY"] == ["MO"]
    assert [tz["TZID"] for tz in parsed.timezones] == ["America/New_York"]
    assert event["DTSTAMP"]
    assert str(event["SUMMARY"]) == "Evening coding"


def test_feed_overnight_entry_ends_next_day() -> None:
    entry = make_entry(4, time(23, 0), time(1, 30), "Europe/Berlin")

    (event,) = icalendar.Calendar.from_ical(render([entry])).events

    assert event.decoded("DTSTART").replace(tzinfo=None) == datetime(2026, 2, 20, 23, 0)
    assert event.decoded("DTEND").replace(tzinfo=None) == datetime(2026, 2, 21, 1, 30)


def test_feed_untitled_entry_gets_owner_summary() -> None:
    (event,) = icalendar.Calendar.from_ical(
        render([make_entry(2, time(9), time(10), "UTC")])
    ).events

    assert str(event["SUMMARY"]) == "Alice Chen live"


def test_feed_has_one_vtimezone_per_zone() -> None:
    entries = [
        make_entry(0, time(18), time(20), "America/New_York"),
        make_entry(2, time(18), time(20), "America/New_York"),
        make_entry(5, time(20), time(22), "Australia/Sydney"),
    ]

    parsed = icalendar.Calendar.from_ical(render(entries))

    assert sorted(tz["TZID"] for tz in parsed.timezones) == [
        "America/New_York",
        "Australia/Sydney",
    ]
    assert len(parsed.events) == 3


@pytest.mark.parametrize(
    ("timezone", "day_of_week", "window_start", "expected_offsets"),
    [
        # New York: EST (-5) until 2026-03-08, EDT (-4) after.
        ("America/New_York", 0, datetime(2026, 2, 21, tzinfo=UTC), [-5, -5, -4, -4]),
        # New York: EDT until 2026-11-01, EST after.
        ("America/New_York", 0, datetime(2026, 10, 17, tzinfo=UTC), [-4, -4, -5, -5]),
        # Sydney: AEDT (+11) until 2026-04-05, AEST (+10) after.
        ("Australia/Sydney", 5, datetime(2026, 3, 25, tzinfo=UTC), [11, 11, 10, 10]),
        # Sydney: AEST until 2026-10-04, AEDT after.
        ("Australia/Sydney", 5, datetime(2026, 9, 20, tzinfo=UTC), [10, 10, 11, 11]),
    ],
)
def test_feed_vtimezone_matches_zoneinfo_across_dst(
    timezone: str, day_of_week: int, window_start: datetime, expected_offsets: list[int]
) -> None:
    entry = make_entry(day_of_week, time(18), time(20), timezone)
    parsed = icalendar.Calendar.from_ical(render([entry]))
    (event,) = parsed.events
    (vtimezone,) = parsed.timezones
    # Build the zone from the VTIMEZONE text itself, not from the tz database.
    feed_zone = vtimezone.to_tz(lookup_tzid=False)
    dtstart = event.decoded("DTSTART").replace(tzinfo=None)
    rule = rrulestr(event["RRULE"].to_ical().decode(), dtstart=dtstart)

    wall_starts = rule.between(window_start.replace(tzinfo=None), datetime(2027, 1, 1))[
        :4
    ]
    feed_starts = [start.replace(tzinfo=feed_zone) for start in wall_starts]
    expected = upcoming_occurrences([entry], window_start, 28)

    assert [
        start.utcoffset().total_seconds() / 3600 for start in feed_starts
    ] == expected_offsets
    assert [start.astimezone(UTC) for start in feed_starts] == [
        occurrence.starts_at.astimezone(UTC) for occurrence in expected
    ]


def test_empty_feed_is_valid_calendar() -> None:
    feed = render([])

    parsed = icalendar.Calendar.from_ical(feed)

    assert feed.startswith(b"BEGIN:VCALENDAR\r\n")
    assert feed.endswith(b"END:VCALENDAR\r\n")
    assert parsed["VERSION"] == "2.0"
    assert parsed.events == []
    # RFC 5545 requires at least one component inside VCALENDAR.
    assert len(parsed.subcomponents) == 1
    assert parsed.timezones[0]["TZID"] == "Etc/UTC"
