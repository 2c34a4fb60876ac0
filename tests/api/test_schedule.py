"""Schedule endpoints: CRUD, validation, public schedule, upcoming instances and the ics feed."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from aiohttp.test_utils import TestClient

from tests.conftest import bearer

ME = "/api/v1/streams/me/schedule"
ENTRY = {
    "day_of_week": 1,
    "start_time": "18:00",
    "end_time": "20:00",
    "timezone": "America/New_York",
    "title": "Evening coding sessions",
}


async def create(client: TestClient, key: str, **overrides: Any) -> dict[str, Any]:
    response = await client.post(ME, json={**ENTRY, **overrides}, headers=bearer(key))
    assert response.status == 201, await response.text()
    return await response.json()


async def test_create_and_list_grouped_by_day(
    client: TestClient, make_user: Any
) -> None:
    _, key = await make_user("alice")

    created = await create(client, key)
    await create(client, key, start_time="09:00", end_time="10:00", title="Morning")
    await create(
        client, key, day_of_week=5, start_time="23:00", end_time="01:00", title="Late"
    )
    response = await client.get(ME, headers=bearer(key))

    assert created["day_name"] == "Tuesday"
    assert created["start_time"] == "18:00"
    assert created["ends_next_day"] is False
    body = await response.json()
    assert response.status == 200
    assert body["total"] == 3
    assert [day["day_name"] for day in body["days"]][:2] == ["Monday", "Tuesday"]
    assert len(body["days"]) == 7
    assert [entry["title"] for entry in body["days"][1]["entries"]] == [
        "Morning",
        "Evening coding sessions",
    ]
    late = body["days"][5]["entries"][0]
    assert late["ends_next_day"] is True
    assert body["days"][0]["entries"] == []


async def test_create_rejects_invalid_values(
    client: TestClient, make_user: Any
) -> None:
    _, key = await make_user("alice")
    cases = [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "localtime"}, "timezone"),
        ({"day_of_week": 7}, "day_of_week"),
        ({"day_of_week": -1}, "day_of_week"),
        ({"day_of_week": "monday"}, "day_of_week"),
        ({"start_time": "25:00"}, "start_time"),
        ({"start_time": "6pm"}, "start_time"),
        ({"end_time": "20:5"}, "end_time"),
        ({"end_time": "18:00"}, "end_time"),
        ({"title": "x" * 141}, "title"),
        ({"category_id": str(uuid.uuid4())}, "category_id"),
    ]

    for override, field in cases:
        response = await client.post(
            ME, json={**ENTRY, **override}, headers=bearer(key)
        )
        assert response.status == 422, override
        fields = [error["field"] for error in (await response.json())["errors"]]
        assert field in fields, (override, fields)

    anonymous = await client.post(ME, json=ENTRY)
    assert anonymous.status == 401


async def test_create_names_every_invalid_field(
    client: TestClient, make_user: Any
) -> None:
    _, key = await make_user("alice")
    body = {**ENTRY, "day_of_week": 7, "start_time": "25:00", "timezone": "Mars/Base"}

    response = await client.post(ME, json=body, headers=bearer(key))

    assert response.status == 422
    fields = sorted(error["field"] for error in (await response.json())["errors"])
    assert fields == ["day_of_week", "start_time", "timezone"]


async def test_update_and_delete_are_owner_only(
    client: TestClient, make_user: Any
) -> None:
    _, key = await make_user("alice")
    _, other_key = await make_user("mallory")
    entry = await create(client, key)
    path = f"{ME}/{entry['id']}"

    updated = await client.patch(
        path, json={"end_time": "01:00", "title": "Long night"}, headers=bearer(key)
    )
    foreign_update = await client.patch(
        path, json={"title": "mine now"}, headers=bearer(other_key)
    )
    invalid = await client.patch(
        path, json={"start_time": "01:00"}, headers=bearer(key)
    )
    null_day = await client.patch(path, json={"day_of_week": None}, headers=bearer(key))
    bad_zone = await client.patch(
        path, json={"timezone": "Nowhere/Land"}, headers=bearer(key)
    )
    foreign_delete = await client.delete(path, headers=bearer(other_key))
    missing = await client.patch(
        f"{ME}/{uuid.uuid4()}", json={"title": "x"}, headers=bearer(key)
    )
    malformed = await client.delete(f"{ME}/not-a-uuid", headers=bearer(key))

    assert updated.status == 200, await updated.text()
    body = await updated.json()
    assert body["end_time"] == "01:00"
    assert body["ends_next_day"] is True
    assert body["title"] == "Long night"
    assert foreign_update.status == 404
    assert invalid.status == 422
    assert null_day.status == 422
    assert bad_zone.status == 422
    assert foreign_delete.status == 404
    assert missing.status == 404
    assert malformed.status == 422

    deleted = await client.delete(path, headers=bearer(key))
    deleted_again = await client.delete(path, headers=bearer(key))
    assert deleted.status == 204
    assert deleted_again.status == 404


async def test_public_schedule(client: TestClient, make_user: Any) -> None:
    _, key = await make_user("alice")
    await create(client, key)

    response = await client.get("/api/v1/streams/users/alice/schedule")
    missing = await client.get("/api/v1/streams/users/ghost_user/schedule")

    assert response.status == 200
    body = await response.json()
    assert body["username"] == "alice"
    assert body["days"][1]["entries"][0]["title"] == "Evening coding sessions"
    assert missing.status == 404


async def test_upcoming_instances(client: TestClient, make_user: Any) -> None:
    _, key = await make_user("alice")
    for day in range(7):
        await create(client, key, day_of_week=day, timezone="Australia/Sydney")

    week = await client.get("/api/v1/streams/users/alice/upcoming")
    two_days = await client.get("/api/v1/streams/users/alice/upcoming?days=2")
    too_many = await client.get("/api/v1/streams/users/alice/upcoming?days=31")
    too_few = await client.get("/api/v1/streams/users/alice/upcoming?days=0")
    missing = await client.get("/api/v1/streams/users/ghost_user/upcoming")

    body = await week.json()
    assert week.status == 200
    assert body["days"] == 7
    assert 7 <= body["total"] <= 8
    sydney = ZoneInfo("Australia/Sydney")
    starts = [datetime.fromisoformat(item["starts_at"]) for item in body["instances"]]
    assert starts == sorted(starts)
    for item in body["instances"]:
        assert item["starts_at"].endswith("Z")
        start = datetime.fromisoformat(item["starts_at"])
        local = datetime.fromisoformat(item["starts_at_local"])
        assert local == start
        assert (local.hour, local.minute) == (18, 0)
        assert local.utcoffset() == start.astimezone(sydney).utcoffset()
        assert datetime.fromisoformat(item["ends_at"]) - start == timedelta(hours=2)
    assert 2 <= (await two_days.json())["total"] <= 3
    assert too_many.status == 422
    assert too_few.status == 422
    assert missing.status == 404


async def test_ics_feed(client: TestClient, make_user: Any) -> None:
    _, key = await make_user("alice", display_name="Alice Chen")
    entry = await create(client, key)
    await create(
        client,
        key,
        day_of_week=5,
        start_time="20:00",
        end_time="22:00",
        timezone="Australia/Sydney",
    )

    response = await client.get("/api/v1/streams/users/alice/schedule.ics")

    assert response.status == 200
    assert response.content_type == "text/calendar"
    raw = await response.read()
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    calendar = icalendar.Calendar.from_ical(raw)
    events = {str(event["UID"]).split("@")[0]: event for event in calendar.events}
    event = events[f"schedule-{entry['id']}"]
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert event["RRULE"]["BYDAY"] == ["TU"]
    assert str(event["SUMMARY"]) == "Evening coding sessions"
    assert sorted(tz["TZID"] for tz in calendar.timezones) == [
        "America/New_York",
        "Australia/Sydney",
    ]


async def test_ics_feed_empty_and_unknown(client: TestClient, make_user: Any) -> None:
    await make_user("quiet")

    empty = await client.get("/api/v1/streams/users/quiet/schedule.ics")
    missing = await client.get("/api/v1/streams/users/ghost_user/schedule.ics")

    assert empty.status == 200
    calendar = icalendar.Calendar.from_ical(await empty.read())
    assert calendar.events == []
    assert calendar["VERSION"] == "2.0"
    assert missing.status == 404
