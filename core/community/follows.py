"""Follow edges between users, with the users' follower and following counters.

Each change to ``follows`` updates ``users.follower_count`` and
``users.following_count`` in the same transaction and only when a row was
actually inserted or deleted, so the counters always equal the real counts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from core.db import Connection, Database, count_up_to
from core.errors import DomainRuleViolation, NotFound
from core.identity import get_user_by_username
from core.tables import follows, streams, users

logger = logging.getLogger(__name__)

#: User columns shown wherever a list names other users.
USER_SUMMARY_COLUMNS = (
    users.c.id,
    users.c.username,
    users.c.display_name,
    users.c.avatar_url,
    users.c.is_verified,
    users.c.follower_count,
)


@dataclass(frozen=True)
class FollowResult:
    follower_id: UUID
    followed_id: UUID
    notifications_enabled: bool
    followed_at: datetime


async def _lock_users(conn: Connection, first: UUID, second: UUID) -> None:
    """Lock both user rows in id order, so opposite follows cannot deadlock.

    ``FOR NO KEY UPDATE`` is the lock an UPDATE of the counters takes anyway.
    It does not conflict with the ``FOR KEY SHARE`` lock that foreign-key
    checks of concurrent inserts take (PostgreSQL manual, "Row-Level Locks").
    """
    await conn.fetch_all(
        sa.select(users.c.id)
        .where(users.c.id.in_([first, second]))
        .order_by(users.c.id)
        .with_for_update(key_share=True)
    )


async def _adjust_counters(
    conn: Connection, follower_id: UUID, followed_id: UUID, delta: int
) -> None:
    await conn.execute(
        users.update()
        .where(users.c.id == followed_id)
        .values(follower_count=users.c.follower_count + delta)
    )
    await conn.execute(
        users.update()
        .where(users.c.id == follower_id)
        .values(following_count=users.c.following_count + delta)
    )


async def follow(
    db: Database,
    follower_id: UUID,
    username: str,
    *,
    notifications_enabled: bool = True,
) -> FollowResult:
    """Make ``follower_id`` follow ``username``.

    Raises NotFound for an unknown username and DomainRuleViolation when the
    user follows themselves or already follows ``username``. Of two
    concurrent requests for the same pair, one inserts the edge and the other
    gets DomainRuleViolation.
    """
    async with db.transaction() as conn:
        followed = await get_user_by_username(conn, username)
        followed_id = followed["id"]
        if followed_id == follower_id:
            raise DomainRuleViolation("you cannot follow yourself")
        await _lock_users(conn, follower_id, followed_id)
        row = await conn.fetch_one(
            pg_insert(follows)
            .values(
                follower_id=follower_id,
                followed_id=followed_id,
                notifications_enabled=notifications_enabled,
            )
            .on_conflict_do_nothing(
                index_elements=[follows.c.follower_id, follows.c.followed_id]
            )
            .returning(follows.c.notifications_enabled, follows.c.created_at)
        )
        if row is None:
            raise DomainRuleViolation(f"you already follow {followed['username']!r}")
        await _adjust_counters(conn, follower_id, followed_id, +1)
    logger.info("user followed follower_id=%s followed_id=%s", follower_id, followed_id)
    return FollowResult(
        follower_id, followed_id, row["notifications_enabled"], row["created_at"]
    )


async def unfollow(db: Database, follower_id: UUID, username: str) -> None:
    """Remove the edge; NotFound when ``username`` is unknown or not followed."""
    async with db.transaction() as conn:
        followed = await get_user_by_username(conn, username)
        followed_id = followed["id"]
        await _lock_users(conn, follower_id, followed_id)
        deleted = await conn.execute(
            follows.delete().where(
                follows.c.follower_id == follower_id,
                follows.c.followed_id == followed_id,
            )
        )
        if not deleted:
            raise NotFound(f"you do not follow {followed['username']!r}")
        await _adjust_counters(conn, follower_id, followed_id, -1)
    logger.info(
        "user unfollowed follower_id=%s followed_id=%s", follower_id, followed_id
    )


async def follow_status(
    db: Database, follower_id: UUID, username: str
) -> dict[str, Any]:
    followed = await get_user_by_username(db, username)
    row = await db.fetch_one(
        sa.select(follows.c.notifications_enabled, follows.c.created_at).where(
            follows.c.follower_id == follower_id,
            follows.c.followed_id == followed["id"],
        )
    )
    if row is None:
        return {"following": False, "notifications_enabled": False, "followed_at": None}
    return {
        "following": True,
        "notifications_enabled": row["notifications_enabled"],
        "followed_at": row["created_at"],
    }


async def _list_edges(
    db: Database,
    *,
    match_column: sa.Column,
    other_column: sa.Column,
    user_id: UUID,
    page: int,
    per_page: int,
) -> list[dict[str, Any]]:
    return await db.fetch_all(
        sa.select(*USER_SUMMARY_COLUMNS, follows.c.created_at.label("followed_at"))
        .select_from(follows.join(users, users.c.id == other_column))
        .where(match_column == user_id)
        .order_by(follows.c.created_at.desc(), other_column)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )


async def list_followers(
    db: Database, username: str, *, page: int, per_page: int
) -> tuple[list[dict[str, Any]], int]:
    """Return the users following ``username``, newest edge first, and their total.

    The total is the maintained ``follower_count``, so no count query runs.
    """
    user = await get_user_by_username(db, username)
    rows = await _list_edges(
        db,
        match_column=follows.c.followed_id,
        other_column=follows.c.follower_id,
        user_id=user["id"],
        page=page,
        per_page=per_page,
    )
    return rows, user["follower_count"]


async def list_following(
    db: Database, username: str, *, page: int, per_page: int
) -> tuple[list[dict[str, Any]], int]:
    """Return the users ``username`` follows, newest edge first, and ``following_count``."""
    user = await get_user_by_username(db, username)
    rows = await _list_edges(
        db,
        match_column=follows.c.follower_id,
        other_column=follows.c.followed_id,
        user_id=user["id"],
        page=page,
        per_page=per_page,
    )
    return rows, user["following_count"]


async def list_followed_live_streams(
    db: Database, follower_id: UUID, *, page: int, per_page: int
) -> tuple[list[dict[str, Any]], int]:
    """Return live streams of the users ``follower_id`` follows, most viewers first."""
    condition = sa.and_(
        follows.c.follower_id == follower_id, streams.c.status == "live"
    )
    joined = follows.join(streams, streams.c.user_id == follows.c.followed_id).join(
        users, users.c.id == streams.c.user_id
    )
    total = await count_up_to(
        db, sa.select(streams.c.id).select_from(joined).where(condition)
    )
    rows = await db.fetch_all(
        sa.select(
            streams.c.id,
            streams.c.title,
            streams.c.status,
            streams.c.viewer_count,
            streams.c.playback_url,
            streams.c.thumbnail_url,
            streams.c.category_id,
            streams.c.started_at,
            *(
                column.label(f"streamer_{column.name}")
                for column in USER_SUMMARY_COLUMNS
            ),
        )
        .select_from(joined)
        .where(condition)
        .order_by(
            streams.c.viewer_count.desc(), streams.c.started_at.desc(), streams.c.id
        )
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return rows, int(total)
