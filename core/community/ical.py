"""iCalendar (RFC 5545) feed of a user's weekly schedule.

Each schedule entry becomes one VEVENT that repeats weekly (``RRULE:FREQ=WEEKLY``)
with DTSTART and DTEND in the entry's own TZID, and the calendar carries one
VTIMEZONE per TZID used. The ``icalendar`` library writes CRLF line endings
and folds content lines at 75 octets.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar

from core.community.schedule import first_occurrence_on_or_after, occurrence_bounds

PRODUCT_ID = "-//livestream//stream schedule//EN"

#: How far past today the VTIMEZONE definitions list daylight-saving changes.
#: Calendar apps re-fetch a subscribed feed (see REFRESH_INTERVAL), so the
#: window moves forward with every fetch.
TIMEZONE_YEARS_AHEAD = 5

#: Suggested re-fetch interval for subscribed calendars (RFC 7986 REFRESH-INTERVAL).
REFRESH_INTERVAL = timedelta(hours=12)

_ICAL_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _event_for_entry(
    entry: Mapping[str, Any], owner: Mapping[str, Any], uid_domain: str
) -> tuple[icalendar.Event, date]:
    zone = ZoneInfo(entry["timezone"])
    created_local = entry["created_at"].astimezone(zone).date()
    first_day = first_occurrence_on_or_after(created_local, entry["day_of_week"])
    starts_at, ends_at = occurrence_bounds(
        first_day, entry["start_time"], entry["end_time"], zone
    )

    event = icalendar.Event()
    event.add("uid", f"schedule-{entry['id']}@{uid_domain}")
    event.add("dtstamp", entry["updated_at"].astimezone(UTC))
    event.add("created", entry["created_at"].astimezone(UTC))
    event.add("last-modified", entry["updated_at"].astimezone(UTC))
    event.add("dtstart", starts_at)
    event.add("dtend", ends_at)
    event.add(
        "rrule", {"freq": "weekly", "byday": _ICAL_WEEKDAYS[entry["day_of_week"]]}
    )
    event.add("summary", entry["title"] or f"{owner['display_name']} live")
    event.add(
        "description", f"Live stream by {owner['display_name']} (@{owner['username']})"
    )
    # The schedule announces a stream; it should not show the viewer as busy.
    event.add("transp", "TRANSPARENT")
    return event, first_day


def build_schedule_calendar(
    owner: Mapping[str, Any],
    entries: Iterable[Mapping[str, Any]],
    *,
    public_base_url: str,
    today: date,
) -> bytes:
    """Render ``owner``'s schedule entries as an iCalendar document (UTF-8 bytes).

    ``owner`` needs ``username`` and ``display_name``; each entry needs the
    columns of ``schedule_entries``. UIDs end in the host of ``public_base_url``
    so they stay unique across deployments.
    """
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    name = f"{owner['display_name']} stream schedule"
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add(
        "x-published-ttl", icalendar.vDuration(REFRESH_INTERVAL).to_ical().decode()
    )

    uid_domain = urlsplit(public_base_url).hostname or "localhost"
    first_days = [today]
    for entry in entries:
        event, first_day = _event_for_entry(entry, owner, uid_domain)
        calendar.add_component(event)
        first_days.append(first_day)

    last_day = today.replace(
        year=today.year + TIMEZONE_YEARS_AHEAD, day=min(today.day, 28)
    )
    if calendar.events:
        calendar.add_missing_timezones(first_date=min(first_days), last_date=last_day)
    else:
        # RFC 5545 section 3.6 requires at least one component in a VCALENDAR,
        # so a user without entries gets a calendar holding only a UTC VTIMEZONE.
        calendar.add_component(
            icalendar.Timezone.from_tzid(
                "Etc/UTC", first_date=today, last_date=last_day
            )
        )
    return calendar.to_ical()
