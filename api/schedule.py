"""Weekly stream schedules: own entries, public schedule, upcoming instances, iCalendar feed."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from aiohttp import web

from api.auth import require_user
from api.http import empty_response, json_response, parse_body, parse_query, path_uuid
from api.keys import DATABASE, SETTINGS
from api.openapi import ApiRoutes
from api.schemas.schedule import (
    ScheduleDay,
    ScheduleEntry,
    ScheduleEntryCreate,
    ScheduleEntryUpdate,
    UpcomingInstance,
    UpcomingList,
    UpcomingQuery,
    WeeklySchedule,
)
from core.clock import utc_now
from core.community import schedule_store
from core.community.ical import build_schedule_calendar
from core.community.schedule import (
    WEEKDAY_NAMES,
    group_by_weekday,
    upcoming_occurrences,
)
from core.identity import get_user_by_username

routes = ApiRoutes(tag="schedule")

_OWN = "/api/v1/streams/me/schedule"


def _weekly(user: dict[str, Any], entries: list[dict[str, Any]]) -> WeeklySchedule:
    days = [
        ScheduleDay(
            day_of_week=index,
            day_name=WEEKDAY_NAMES[index],
            entries=[
                ScheduleEntry.model_validate(schedule_store.entry_to_json(row))
                for row in day_entries
            ],
        )
        for index, day_entries in enumerate(group_by_weekday(entries))
    ]
    return WeeklySchedule(
        user_id=user["id"], username=user["username"], days=days, total=len(entries)
    )


@routes.post(
    _OWN,
    body=ScheduleEntryCreate,
    response=ScheduleEntry,
    status=201,
    auth="required",
    responses={
        400: "The schedule already has the maximum number of entries",
        422: "Invalid day, time or time zone",
    },
)
async def create_entry(request: web.Request) -> web.Response:
    """Add a weekly entry to the caller's schedule."""
    user = await require_user(request)
    body = await parse_body(request, ScheduleEntryCreate)
    row = await schedule_store.create_entry(
        request.app[DATABASE], user.id, body.model_dump()
    )
    return json_response(
        ScheduleEntry.model_validate(schedule_store.entry_to_json(row)), status=201
    )


@routes.get(_OWN, response=WeeklySchedule, auth="required")
async def get_own_schedule(request: web.Request) -> web.Response:
    """Get the caller's weekly schedule grouped by day, Monday first."""
    user = await require_user(request)
    entries = await schedule_store.list_entries(request.app[DATABASE], user.id)
    return json_response(_weekly({"id": user.id, "username": user.username}, entries))


@routes.patch(
    f"{_OWN}/{{schedule_id}}",
    body=ScheduleEntryUpdate,
    response=ScheduleEntry,
    auth="required",
    responses={
        404: "No such entry in the caller's schedule",
        422: "Invalid day, time or time zone",
    },
)
async def update_entry(request: web.Request) -> web.Response:
    """Change an entry of the caller's schedule."""
    user = await require_user(request)
    entry_id = path_uuid(request, "schedule_id")
    body = await parse_body(request, ScheduleEntryUpdate)
    row = await schedule_store.update_entry(
        request.app[DATABASE], user.id, entry_id, body.changes()
    )
    return json_response(
        ScheduleEntry.model_validate(schedule_store.entry_to_json(row))
    )


@routes.delete(
    f"{_OWN}/{{schedule_id}}",
    status=204,
    auth="required",
    responses={404: "No such entry in the caller's schedule"},
)
async def delete_entry(request: web.Request) -> web.Response:
    """Delete an entry of the caller's schedule."""
    user = await require_user(request)
    entry_id = path_uuid(request, "schedule_id")
    await schedule_store.delete_entry(request.app[DATABASE], user.id, entry_id)
    return empty_response()


@routes.get(
    "/api/v1/streams/users/{username}/schedule",
    response=WeeklySchedule,
    responses={404: "Unknown username"},
)
async def get_user_schedule(request: web.Request) -> web.Response:
    """Get a user's public weekly schedule grouped by day."""
    db = request.app[DATABASE]
    user = await get_user_by_username(db, request.match_info["username"])
    entries = await schedule_store.list_entries(db, user["id"])
    return json_response(_weekly(user, entries))


@routes.get(
    "/api/v1/streams/users/{username}/upcoming",
    query=UpcomingQuery,
    response=UpcomingList,
    responses={404: "Unknown username"},
)
async def get_upcoming(request: web.Request) -> web.Response:
    """List a user's scheduled instances from now up to ``days`` days ahead."""
    query = parse_query(request, UpcomingQuery)
    db = request.app[DATABASE]
    user = await get_user_by_username(db, request.match_info["username"])
    entries = await schedule_store.list_entries(db, user["id"])
    now = utc_now()
    instances = [
        UpcomingInstance(
            entry_id=occurrence.entry_id,
            title=occurrence.entry["title"],
            category_id=occurrence.entry["category_id"],
            timezone=occurrence.entry["timezone"],
            starts_at=occurrence.starts_at.astimezone(UTC),
            ends_at=occurrence.ends_at.astimezone(UTC),
            starts_at_local=occurrence.starts_at.isoformat(),
            ends_at_local=occurrence.ends_at.isoformat(),
            in_progress=occurrence.starts_at <= now,
        )
        for occurrence in upcoming_occurrences(entries, now, query.days)
    ]
    body = UpcomingList(
        user_id=user["id"],
        username=user["username"],
        days=query.days,
        instances=instances,
        total=len(instances),
    )
    return json_response(body)


@routes.get(
    "/api/v1/streams/users/{username}/schedule.ics",
    responses={404: "Unknown username"},
    summary="Get a user's schedule as an iCalendar (RFC 5545) feed",
)
async def get_schedule_ics(request: web.Request) -> web.Response:
    """Serve the schedule as text/calendar for calendar subscriptions."""
    db = request.app[DATABASE]
    user = await get_user_by_username(db, request.match_info["username"])
    entries = await schedule_store.list_entries(db, user["id"])
    feed = build_schedule_calendar(
        user,
        entries,
        public_base_url=request.app[SETTINGS].effective_public_base_url,
        today=utc_now().date(),
    )
    return web.Response(
        body=feed,
        content_type="text/calendar",
        charset="utf-8",
        headers={
            "Content-Disposition": f'inline; filename="{user["username"]}-schedule.ics"',
            "Cache-Control": "public, max-age=300",
        },
    )
