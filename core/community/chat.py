"""Chat messages of a stream: send, list with author badges, delete.

Sending checks, in order: the message text, that the stream has not ended,
that the author is not banned or timed out in the channel, and the author's
rate limit (``chat_rate_limit`` messages per ``chat_rate_window_seconds`` per
stream). Every stored message counts towards the stream's trending chat
activity and is pushed to WebSocket clients through ``chat_hub``.
"""

from __future__ import annotations

import logging
import unicodedata
from typing import Any
from uuid import UUID

import redis.asyncio
import sqlalchemy as sa
from redis.exceptions import RedisError

from core import ratelimit
from core.clock import utc_now
from core.community.chat_bans import active_ban
from core.community.chat_hub import publish_chat_event
from core.community.roles import badges_for_users, get_stream, require_moderator
from core.db import Database
from core.errors import (
    DomainRuleViolation,
    FieldError,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from core.settings import Settings
from core.tables import chat_messages, users
from core.trending import record_chat_activity

logger = logging.getLogger(__name__)

#: Maximum message length, in characters, equal to the size of ``chat_messages.body``.
MAX_MESSAGE_LENGTH = 500

#: Most messages one listing returns.
MAX_HISTORY_LIMIT = 100


def chat_rate_limit(settings: Settings) -> ratelimit.RollingWindowLimit:
    return ratelimit.RollingWindowLimit(
        name="chat_message",
        limit=settings.chat_rate_limit,
        window_seconds=settings.chat_rate_window_seconds,
    )


def clean_message_body(body: str) -> str:
    """Return the trimmed text, or raise InvalidInput for empty, long or control text."""
    text = body.strip() if isinstance(body, str) else ""
    if not text:
        raise InvalidInput(
            "message is empty: send 1 to 500 characters",
            [FieldError("body", "body", "must not be empty")],
        )
    if len(text) > MAX_MESSAGE_LENGTH:
        raise InvalidInput(
            f"message is {len(text)} characters long: the maximum is {MAX_MESSAGE_LENGTH}",
            [
                FieldError(
                    "body", "body", f"must be at most {MAX_MESSAGE_LENGTH} characters"
                )
            ],
        )
    if any(unicodedata.category(char) == "Cc" for char in text):
        raise InvalidInput(
            "message contains control characters such as line breaks: send one line of text",
            [FieldError("body", "body", "must not contain control characters")],
        )
    return text


def message_to_json(row: dict[str, Any], badges: list[str]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "stream_id": row["stream_id"],
        "body": row["body"],
        "created_at": row["created_at"],
        "user": {
            "id": row["user_id"],
            "username": row["username"],
            "display_name": row["display_name"],
            "avatar_url": row["avatar_url"],
        },
        "badges": badges,
    }


def _message_select() -> sa.Select:
    return sa.select(
        chat_messages.c.id,
        chat_messages.c.stream_id,
        chat_messages.c.user_id,
        chat_messages.c.body,
        chat_messages.c.created_at,
        users.c.username,
        users.c.display_name,
        users.c.avatar_url,
    ).select_from(chat_messages.join(users, users.c.id == chat_messages.c.user_id))


async def send_message(
    db: Database,
    redis_client: redis.asyncio.Redis,
    settings: Settings,
    stream_id: UUID,
    user_id: UUID,
    body: str,
) -> dict[str, Any]:
    """Store a message from ``user_id`` and push it to the stream's listeners."""
    text = clean_message_body(body)
    stream = await get_stream(db, stream_id)
    if stream["status"] == "ended":
        raise DomainRuleViolation(f"stream {stream_id} has ended: its chat is closed")
    ban = await active_ban(db, stream["user_id"], user_id)
    if ban is not None:
        if ban["expires_at"] is None:
            raise PermissionDenied("you are banned from this chat")
        raise PermissionDenied(
            f"you are timed out in this chat until {ban['expires_at'].isoformat()}"
        )
    await ratelimit.enforce(
        redis_client, settings, chat_rate_limit(settings), f"{stream_id}:{user_id}"
    )

    async with db.transaction() as conn:
        message_id = await conn.fetch_value(
            chat_messages.insert()
            .values(
                stream_id=stream_id, user_id=user_id, body=text, created_at=utc_now()
            )
            .returning(chat_messages.c.id)
        )
        row = await conn.fetch_one(
            _message_select().where(chat_messages.c.id == message_id)
        )
        badges = await badges_for_users(conn, stream["user_id"], [user_id])
    assert row is not None
    message = message_to_json(row, badges[user_id])
    logger.debug(
        "chat message sent stream_id=%s message_id=%s user_id=%s",
        stream_id,
        message_id,
        user_id,
    )

    try:
        await record_chat_activity(redis_client, settings, stream_id, row["created_at"])
    except RedisError:
        # The message is stored; only its weight in the trending score is lost.
        logger.warning(
            "chat activity not recorded stream_id=%s", stream_id, exc_info=True
        )
    await publish_chat_event(
        redis_client, settings, stream_id, {"type": "message", "message": message}
    )
    return message


async def list_messages(
    db: Database, stream_id: UUID, *, limit: int, before_id: int | None = None
) -> list[dict[str, Any]]:
    """Return up to ``limit`` recent messages, oldest first, each with its author's badges.

    ``before_id`` pages back: only messages with a smaller id are returned.
    Deleted messages are left out.
    """
    stream = await get_stream(db, stream_id)
    condition = sa.and_(
        chat_messages.c.stream_id == stream_id, chat_messages.c.deleted_at.is_(None)
    )
    if before_id is not None:
        condition = sa.and_(condition, chat_messages.c.id < before_id)
    rows = await db.fetch_all(
        _message_select()
        .where(condition)
        .order_by(chat_messages.c.id.desc())
        .limit(limit)
    )
    rows.reverse()
    badges = await badges_for_users(
        db, stream["user_id"], [row["user_id"] for row in rows]
    )
    return [message_to_json(row, badges[row["user_id"]]) for row in rows]


async def delete_message(
    db: Database,
    redis_client: redis.asyncio.Redis,
    settings: Settings,
    stream_id: UUID,
    actor_id: UUID,
    message_id: int,
) -> None:
    """Hide a message; only the broadcaster or a moderator may, and NotFound if already gone."""
    stream = await get_stream(db, stream_id)
    await require_moderator(db, stream, actor_id)
    deleted = await db.execute(
        chat_messages.update()
        .where(
            chat_messages.c.id == message_id,
            chat_messages.c.stream_id == stream_id,
            chat_messages.c.deleted_at.is_(None),
        )
        .values(deleted_at=utc_now(), deleted_by=actor_id)
    )
    if not deleted:
        raise NotFound(f"chat message {message_id} not found in stream {stream_id}")
    logger.info(
        "chat message deleted stream_id=%s message_id=%s by=%s",
        stream_id,
        message_id,
        actor_id,
    )
    await publish_chat_event(
        redis_client,
        settings,
        stream_id,
        {"type": "message_deleted", "message_id": message_id},
    )
