"""Stored weekly schedule entries: create, list, update and delete, owner-scoped."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from core.clock import utc_now
from core.community.schedule import (
    WEEKDAY_NAMES,
    check_day_of_week,
    check_time_range,
    format_wall_time,
    load_timezone,
    parse_wall_time,
)
from core.db import Database
from core.identity import check_category_exists
from core.errors import DomainRuleViolation, FieldError, InvalidInput, NotFound
from core.tables import schedule_entries

logger = logging.getLogger(__name__)

#: Most entries one user may keep; a weekly schedule rarely needs more than a few a day.
MAX_ENTRIES_PER_USER = 50

MAX_TITLE_LENGTH = 140

EDITABLE_FIELDS = frozenset(
    {"day_of_week", "start_time", "end_time", "timezone", "title", "category_id"}
)


def entry_to_json(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "day_of_week": row["day_of_week"],
        "day_name": WEEKDAY_NAMES[row["day_of_week"]],
        "start_time": format_wall_time(row["start_time"]),
        "end_time": format_wall_time(row["end_time"]),
        "ends_next_day": row["end_time"] <= row["start_time"],
        "timezone": row["timezone"],
        "title": row["title"],
        "category_id": row["category_id"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def _validated(values: Mapping[str, Any]) -> dict[str, Any]:
    """Parse and check a full set of entry values.

    Raises one InvalidInput that names every invalid field, so a client can
    correct them all at once.
    """
    problems: list[InvalidInput] = []

    def attempt(check: Callable[[], Any]) -> Any:
        try:
            return check()
        except InvalidInput as error:
            problems.append(error)
            return None

    attempt(lambda: check_day_of_week(values["day_of_week"]))
    start = attempt(lambda: parse_wall_time(values["start_time"], "start_time"))
    end = attempt(lambda: parse_wall_time(values["end_time"], "end_time"))
    if start is not None and end is not None:
        attempt(lambda: check_time_range(start, end))
    attempt(lambda: load_timezone(values["timezone"]))
    title = (values.get("title") or "").strip()
    if len(title) > MAX_TITLE_LENGTH:
        problems.append(
            InvalidInput(
                f"title is {len(title)} characters long: the maximum is {MAX_TITLE_LENGTH}",
                [
                    FieldError(
                        "body",
                        "title",
                        f"must be at most {MAX_TITLE_LENGTH} characters",
                    )
                ],
            )
        )
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise InvalidInput(
            "; ".join(problem.detail for problem in problems),
            [field for problem in problems for field in problem.errors],
        )
    return {
        "day_of_week": values["day_of_week"],
        "start_time": start,
        "end_time": end,
        "timezone": values["timezone"],
        "title": title,
        "category_id": values.get("category_id"),
    }


async def create_entry(
    db: Database, user_id: UUID, values: Mapping[str, Any]
) -> dict[str, Any]:
    """Insert an entry for ``user_id``; at most ``MAX_ENTRIES_PER_USER`` per user."""
    row_values = _validated(values)
    async with db.transaction() as conn:
        await check_category_exists(conn, row_values["category_id"])
        # Serialise concurrent creates of one user so the limit holds.
        await conn.execute(
            sa.select(
                sa.func.pg_advisory_xact_lock(sa.func.hashtext(f"schedule:{user_id}"))
            )
        )
        count = await conn.fetch_value(
            sa.select(sa.func.count())
            .select_from(schedule_entries)
            .where(schedule_entries.c.user_id == user_id)
        )
        if count >= MAX_ENTRIES_PER_USER:
            raise DomainRuleViolation(
                f"schedule is full: at most {MAX_ENTRIES_PER_USER} entries; delete one first"
            )
        row = await conn.fetch_one(
            schedule_entries.insert()
            .values(user_id=user_id, **row_values)
            .returning(schedule_entries)
        )
    assert row is not None
    logger.info("schedule entry created user_id=%s entry_id=%s", user_id, row["id"])
    return row


async def list_entries(db: Database, user_id: UUID) -> list[dict[str, Any]]:
    return await db.fetch_all(
        sa.select(schedule_entries)
        .where(schedule_entries.c.user_id == user_id)
        .order_by(
            schedule_entries.c.day_of_week,
            schedule_entries.c.start_time,
            schedule_entries.c.id,
        )
    )


async def update_entry(
    db: Database, user_id: UUID, entry_id: UUID, changes: Mapping[str, Any]
) -> dict[str, Any]:
    """Apply ``changes`` to the caller's entry; another user's entry is NotFound.

    The merged entry is validated as a whole, so moving only ``end_time`` onto
    the stored ``start_time`` is rejected too.
    """
    async with db.transaction() as conn:
        current = await conn.fetch_one(
            sa.select(schedule_entries)
            .where(
                schedule_entries.c.id == entry_id, schedule_entries.c.user_id == user_id
            )
            .with_for_update()
        )
        if current is None:
            raise NotFound(f"schedule entry {entry_id} not found")
        merged: dict[str, Any] = {
            "day_of_week": current["day_of_week"],
            "start_time": format_wall_time(current["start_time"]),
            "end_time": format_wall_time(current["end_time"]),
            "timezone": current["timezone"],
            "title": current["title"],
            "category_id": current["category_id"],
        }
        merged.update(
            {key: value for key, value in changes.items() if key in EDITABLE_FIELDS}
        )
        row_values = _validated(merged)
        if (
            row_values["category_id"] is not None
            and row_values["category_id"] != current["category_id"]
        ):
            await check_category_exists(conn, row_values["category_id"])
        row = await conn.fetch_one(
            schedule_entries.update()
            .where(schedule_entries.c.id == entry_id)
            .values(**row_values, updated_at=utc_now())
            .returning(schedule_entries)
        )
    assert row is not None
    logger.info("schedule entry updated user_id=%s entry_id=%s", user_id, entry_id)
    return row


async def delete_entry(db: Database, user_id: UUID, entry_id: UUID) -> None:
    deleted = await db.execute(
        schedule_entries.delete().where(
            schedule_entries.c.id == entry_id, schedule_entries.c.user_id == user_id
        )
    )
    if not deleted:
        raise NotFound(f"schedule entry {entry_id} not found")
    logger.info("schedule entry deleted user_id=%s entry_id=%s", user_id, entry_id)
