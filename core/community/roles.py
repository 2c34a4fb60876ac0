"""Channel roles (moderator, VIP) and the badges a user shows in a stream's context.

Roles belong to the channel, which is the broadcaster's user id, so they
carry over from one stream of a broadcaster to the next.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, Literal
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from core.db import Connection, Database
from core.errors import DomainRuleViolation, NotFound, PermissionDenied
from core.identity import get_user
from core.tables import channel_roles, streams, users

logger = logging.getLogger(__name__)

GrantableBadge = Literal["moderator", "vip"]
GRANTABLE_BADGES: tuple[GrantableBadge, ...] = ("moderator", "vip")

#: Display order of badges.
BADGE_ORDER = ("broadcaster", "moderator", "vip", "subscriber", "verified")


async def get_stream(db: Database | Connection, stream_id: UUID) -> dict[str, Any]:
    """Return the stream's id, owner (``user_id``) and status; NotFound if unknown."""
    row = await db.fetch_one(
        sa.select(streams.c.id, streams.c.user_id, streams.c.status).where(
            streams.c.id == stream_id
        )
    )
    if row is None:
        raise NotFound(f"stream {stream_id} not found")
    return row


def require_broadcaster(stream: dict[str, Any], user_id: UUID) -> None:
    if stream["user_id"] != user_id:
        raise PermissionDenied(
            f"only the broadcaster of stream {stream['id']} can do this"
        )


async def is_moderator(
    db: Database | Connection, channel_id: UUID, user_id: UUID
) -> bool:
    found = await db.fetch_value(
        sa.select(sa.literal(True)).where(
            channel_roles.c.channel_id == channel_id,
            channel_roles.c.user_id == user_id,
            channel_roles.c.badge_type == "moderator",
        )
    )
    return bool(found)


async def require_moderator(
    db: Database | Connection, stream: dict[str, Any], user_id: UUID
) -> None:
    """Raise PermissionDenied unless ``user_id`` is the broadcaster or a moderator."""
    if stream["user_id"] == user_id or await is_moderator(
        db, stream["user_id"], user_id
    ):
        return
    raise PermissionDenied(
        f"only the broadcaster or a moderator of stream {stream['id']} can do this"
    )


def _role_columns() -> tuple[Any, ...]:
    return (
        channel_roles.c.user_id,
        users.c.username,
        users.c.display_name,
        users.c.avatar_url,
        channel_roles.c.badge_type,
        channel_roles.c.granted_by,
        channel_roles.c.created_at.label("granted_at"),
    )


async def add_role(
    db: Database,
    stream_id: UUID,
    actor_id: UUID,
    user_id: UUID,
    badge_type: GrantableBadge,
) -> dict[str, Any]:
    """Grant ``badge_type`` in the stream's channel; broadcaster only.

    Raises NotFound for an unknown stream or user, PermissionDenied for anyone
    but the broadcaster, and DomainRuleViolation when the broadcaster names
    themselves or the user already has the badge.
    """
    async with db.transaction() as conn:
        stream = await get_stream(conn, stream_id)
        require_broadcaster(stream, actor_id)
        if user_id == stream["user_id"]:
            raise DomainRuleViolation(
                "the broadcaster already has every permission in their channel"
            )
        await get_user(conn, user_id)
        inserted = await conn.fetch_one(
            pg_insert(channel_roles)
            .values(
                channel_id=stream["user_id"],
                user_id=user_id,
                badge_type=badge_type,
                granted_by=actor_id,
            )
            .on_conflict_do_nothing()
            .returning(channel_roles.c.user_id)
        )
        if inserted is None:
            raise DomainRuleViolation(
                f"user {user_id} already has the {badge_type} badge"
            )
        row = await conn.fetch_one(
            sa.select(*_role_columns())
            .select_from(
                channel_roles.join(users, users.c.id == channel_roles.c.user_id)
            )
            .where(
                channel_roles.c.channel_id == stream["user_id"],
                channel_roles.c.user_id == user_id,
                channel_roles.c.badge_type == badge_type,
            )
        )
    assert row is not None
    logger.info(
        "channel role granted channel_id=%s user_id=%s badge_type=%s",
        stream["user_id"],
        user_id,
        badge_type,
    )
    return row


async def remove_role(
    db: Database,
    stream_id: UUID,
    actor_id: UUID,
    user_id: UUID,
    badge_type: GrantableBadge | None = None,
) -> None:
    """Revoke ``badge_type``, or both moderator and VIP when it is None; broadcaster only."""
    stream = await get_stream(db, stream_id)
    require_broadcaster(stream, actor_id)
    badges = [badge_type] if badge_type is not None else list(GRANTABLE_BADGES)
    deleted = await db.execute(
        channel_roles.delete().where(
            channel_roles.c.channel_id == stream["user_id"],
            channel_roles.c.user_id == user_id,
            channel_roles.c.badge_type.in_(badges),
        )
    )
    if not deleted:
        raise NotFound(
            f"user {user_id} has no {' or '.join(badges)} badge in this channel"
        )
    logger.info(
        "channel role revoked channel_id=%s user_id=%s badge_types=%s",
        stream["user_id"],
        user_id,
        ",".join(badges),
    )


async def list_roles(
    db: Database,
    stream_id: UUID,
    badge_type: GrantableBadge | None = None,
    *,
    page: int = 1,
    per_page: int = 100,
) -> tuple[list[dict[str, Any]], int]:
    """Return one page of the channel's moderators and VIPs, oldest grant first, and the total."""
    stream = await get_stream(db, stream_id)
    badges = [badge_type] if badge_type is not None else list(GRANTABLE_BADGES)
    condition = sa.and_(
        channel_roles.c.channel_id == stream["user_id"],
        channel_roles.c.badge_type.in_(badges),
    )
    total = await db.fetch_value(
        sa.select(sa.func.count()).select_from(channel_roles).where(condition)
    )
    rows = await db.fetch_all(
        sa.select(*_role_columns())
        .select_from(channel_roles.join(users, users.c.id == channel_roles.c.user_id))
        .where(condition)
        .order_by(
            channel_roles.c.created_at, users.c.username, channel_roles.c.badge_type
        )
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return rows, int(total)


async def badges_for_users(
    db: Database | Connection, channel_id: UUID, user_ids: Iterable[UUID]
) -> dict[UUID, list[str]]:
    """Return each user's badges in ``channel_id``, in ``BADGE_ORDER``."""
    ids = list(set(user_ids))
    if not ids:
        return {}
    badges_by_user: dict[UUID, set[str]] = {user_id: set() for user_id in ids}
    for row in await db.fetch_all(
        sa.select(channel_roles.c.user_id, channel_roles.c.badge_type).where(
            channel_roles.c.channel_id == channel_id, channel_roles.c.user_id.in_(ids)
        )
    ):
        badges_by_user[row["user_id"]].add(row["badge_type"])
    for row in await db.fetch_all(
        sa.select(users.c.id).where(users.c.id.in_(ids), users.c.is_verified.is_(True))
    ):
        badges_by_user[row["id"]].add("verified")
    if channel_id in badges_by_user:
        badges_by_user[channel_id].add("broadcaster")
    return {
        user_id: [badge for badge in BADGE_ORDER if badge in badges]
        for user_id, badges in badges_by_user.items()
    }


async def user_badges(db: Database, stream_id: UUID, user_id: UUID) -> list[str]:
    """Return the badges ``user_id`` has in the stream's context; NotFound if either is unknown."""
    stream = await get_stream(db, stream_id)
    await get_user(db, user_id)
    badges = await badges_for_users(db, stream["user_id"], [user_id])
    return badges[user_id]
