"""Chat bans and timeouts in a channel, set by its broadcaster or moderators.

A ban has no end; a timeout ends at ``expires_at``. Both live in one row per
(channel, user), so a new ban or timeout replaces the previous one.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from core.clock import utc_now
from core.community.roles import get_stream, is_moderator, require_moderator
from core.db import Connection, Database
from core.errors import DomainRuleViolation, NotFound, PermissionDenied
from core.identity import get_user
from core.tables import chat_bans, users

logger = logging.getLogger(__name__)

#: Maximum timeout, in seconds (14 days). Longer exclusions are bans.
MAX_TIMEOUT_SECONDS = 14 * 24 * 3600


def _active(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(chat_bans.c.expires_at.is_(None), chat_bans.c.expires_at > now)


def ban_to_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "user_id": row["user_id"],
        "username": row["username"],
        "display_name": row["display_name"],
        "kind": "ban" if row["expires_at"] is None else "timeout",
        "expires_at": row["expires_at"],
        "reason": row["reason"],
        "created_by": row["created_by"],
        "created_at": row["created_at"],
    }


async def active_ban(
    db: Database | Connection, channel_id: UUID, user_id: UUID
) -> dict[str, Any] | None:
    """Return the ban or timeout that currently keeps ``user_id`` out of the chat, if any."""
    return await db.fetch_one(
        sa.select(chat_bans.c.expires_at, chat_bans.c.reason).where(
            chat_bans.c.channel_id == channel_id,
            chat_bans.c.user_id == user_id,
            _active(utc_now()),
        )
    )


async def ban_user(
    db: Database,
    stream_id: UUID,
    actor_id: UUID,
    user_id: UUID,
    *,
    duration_seconds: int | None,
    reason: str,
) -> dict[str, Any]:
    """Ban ``user_id`` from the channel's chat, or time them out for ``duration_seconds``.

    Only the broadcaster or a moderator may do this. No user can ban
    themselves or the broadcaster. Only the broadcaster can act on a
    moderator, and must remove the moderator badge first.
    """
    async with db.transaction() as conn:
        stream = await get_stream(conn, stream_id)
        channel_id = stream["user_id"]
        await require_moderator(conn, stream, actor_id)
        if user_id == actor_id:
            raise DomainRuleViolation("you cannot ban or time out yourself")
        if user_id == channel_id:
            raise DomainRuleViolation(
                "the broadcaster cannot be banned from their own chat"
            )
        await get_user(conn, user_id)
        if await is_moderator(conn, channel_id, user_id):
            if actor_id != channel_id:
                raise PermissionDenied(
                    "only the broadcaster can ban or time out a moderator"
                )
            raise DomainRuleViolation(
                f"user {user_id} is a moderator: remove the moderator badge first"
            )
        now = utc_now()
        expires_at = (
            now + timedelta(seconds=duration_seconds)
            if duration_seconds is not None
            else None
        )
        values = {
            "expires_at": expires_at,
            "reason": reason,
            "created_by": actor_id,
            "created_at": now,
        }
        await conn.execute(
            pg_insert(chat_bans)
            .values(channel_id=channel_id, user_id=user_id, **values)
            .on_conflict_do_update(
                index_elements=[chat_bans.c.channel_id, chat_bans.c.user_id],
                set_=values,
            )
        )
        row = await conn.fetch_one(
            sa.select(chat_bans, users.c.username, users.c.display_name)
            .select_from(chat_bans.join(users, users.c.id == chat_bans.c.user_id))
            .where(chat_bans.c.channel_id == channel_id, chat_bans.c.user_id == user_id)
        )
    assert row is not None
    logger.info(
        "chat ban set channel_id=%s user_id=%s by=%s expires_at=%s",
        channel_id,
        user_id,
        actor_id,
        expires_at,
    )
    return ban_to_json(row)


async def unban_user(
    db: Database, stream_id: UUID, actor_id: UUID, user_id: UUID
) -> None:
    """Lift a ban or timeout; NotFound when none is in force."""
    stream = await get_stream(db, stream_id)
    await require_moderator(db, stream, actor_id)
    deleted = await db.execute(
        chat_bans.delete().where(
            chat_bans.c.channel_id == stream["user_id"],
            chat_bans.c.user_id == user_id,
            _active(utc_now()),
        )
    )
    if not deleted:
        raise NotFound(f"user {user_id} is not banned or timed out in this chat")
    logger.info(
        "chat ban lifted channel_id=%s user_id=%s by=%s",
        stream["user_id"],
        user_id,
        actor_id,
    )


async def list_bans(
    db: Database, stream_id: UUID, actor_id: UUID, *, page: int = 1, per_page: int = 100
) -> tuple[list[dict[str, Any]], int]:
    """Return one page of bans and timeouts in force, newest first, and their total.

    Only the broadcaster and moderators may list them.
    """
    stream = await get_stream(db, stream_id)
    await require_moderator(db, stream, actor_id)
    condition = sa.and_(chat_bans.c.channel_id == stream["user_id"], _active(utc_now()))
    total = await db.fetch_value(
        sa.select(sa.func.count()).select_from(chat_bans).where(condition)
    )
    rows = await db.fetch_all(
        sa.select(chat_bans, users.c.username, users.c.display_name)
        .select_from(chat_bans.join(users, users.c.id == chat_bans.c.user_id))
        .where(condition)
        .order_by(chat_bans.c.created_at.desc(), users.c.username)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return [ban_to_json(row) for row in rows], int(total)
