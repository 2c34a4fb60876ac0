"""A user's notifications: listing with render data, unread count and read marks.

Workers insert the rows: ``stream_live`` when a followed streamer goes live,
``new_follower`` when someone follows the user. This module only reads them
and marks them read.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from core.clock import utc_now
from core.db import Database, count_up_to
from core.errors import NotFound
from core.tables import notifications, streams, users

logger = logging.getLogger(__name__)

_actors = users.alias("actor")


def _message(row: dict[str, Any]) -> str:
    actor = row["actor_display_name"] or "A deleted user"
    if row["kind"] == "stream_live":
        title = row["stream_title"]
        return f"{actor} is live: {title}" if title else f"{actor} is live"
    if row["kind"] == "new_follower":
        return f"{actor} followed you"
    return actor


def render_notification(row: dict[str, Any]) -> dict[str, Any]:
    """Shape a joined row into the JSON a client renders."""
    stream = None
    if row["stream_id"] is not None:
        stream = {
            "id": row["stream_id"],
            "title": row["stream_title"],
            "status": row["stream_status"],
        }
    return {
        "id": row["id"],
        "kind": row["kind"],
        "message": _message(row),
        "read": row["read_at"] is not None,
        "read_at": row["read_at"],
        "created_at": row["created_at"],
        "actor": None
        if row["actor_id"] is None
        else {
            "id": row["actor_id"],
            "username": row["actor_username"],
            "display_name": row["actor_display_name"],
            "avatar_url": row["actor_avatar_url"],
        },
        "stream": stream,
    }


async def list_notifications(
    db: Database, user_id: UUID, *, page: int, per_page: int
) -> tuple[list[dict[str, Any]], int]:
    """Return one page of ``user_id``'s notifications, newest first, and the total."""
    total = await count_up_to(
        db, sa.select(notifications.c.id).where(notifications.c.user_id == user_id)
    )
    # The stored data keeps the stream title from when the event happened, but
    # the current title wins while the stream still exists.
    stream_title = sa.func.coalesce(
        streams.c.title, notifications.c.data["stream_title"].astext
    )
    rows = await db.fetch_all(
        sa.select(
            notifications.c.id,
            notifications.c.kind,
            notifications.c.read_at,
            notifications.c.created_at,
            notifications.c.stream_id,
            stream_title.label("stream_title"),
            streams.c.status.label("stream_status"),
            _actors.c.id.label("actor_id"),
            _actors.c.username.label("actor_username"),
            _actors.c.display_name.label("actor_display_name"),
            _actors.c.avatar_url.label("actor_avatar_url"),
        )
        .select_from(
            notifications.outerjoin(
                _actors, _actors.c.id == notifications.c.actor_id
            ).outerjoin(streams, streams.c.id == notifications.c.stream_id)
        )
        .where(notifications.c.user_id == user_id)
        .order_by(notifications.c.created_at.desc(), notifications.c.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return [render_notification(row) for row in rows], int(total)


async def unread_count(db: Database, user_id: UUID) -> int:
    value = await db.fetch_value(
        sa.select(sa.func.count())
        .select_from(notifications)
        .where(notifications.c.user_id == user_id, notifications.c.read_at.is_(None))
    )
    return int(value)


async def mark_read(db: Database, user_id: UUID, notification_id: UUID) -> None:
    """Mark one notification read; NotFound unless it belongs to ``user_id``.

    Someone else's notification is reported as not found, not forbidden, so
    its existence is not revealed. Marking an already read one keeps its
    original ``read_at``.
    """
    row = await db.fetch_one(
        notifications.update()
        .where(
            notifications.c.id == notification_id, notifications.c.user_id == user_id
        )
        .values(read_at=sa.func.coalesce(notifications.c.read_at, utc_now()))
        .returning(notifications.c.id)
    )
    if row is None:
        raise NotFound(f"notification {notification_id} not found")


async def mark_all_read(db: Database, user_id: UUID) -> int:
    """Mark every unread notification of ``user_id`` read; return how many changed."""
    changed = await db.execute(
        notifications.update()
        .where(notifications.c.user_id == user_id, notifications.c.read_at.is_(None))
        .values(read_at=utc_now())
    )
    logger.info("notifications marked read user_id=%s count=%s", user_id, changed)
    return changed
