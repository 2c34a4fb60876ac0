"""Load the stream cards that a page of search hits shows, in hit order.

Both backends return stream ids only. The cards are read from PostgreSQL so
that viewer counts and titles are current even when the index lags behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import select

from core.db import Database
from core.tables import categories, streams, users


async def load_stream_cards(db: Database, ids: Sequence[UUID]) -> list[dict[str, Any]]:
    """Return one card per id that still exists, in the order of ``ids``."""
    if not ids:
        return []
    rows = await db.fetch_all(
        select(
            streams.c.id,
            streams.c.title,
            streams.c.description,
            streams.c.status,
            streams.c.viewer_count,
            streams.c.playback_url,
            streams.c.thumbnail_url,
            streams.c.started_at,
            streams.c.ended_at,
            streams.c.created_at,
            streams.c.category_id,
            categories.c.name.label("category_name"),
            users.c.id.label("streamer_id"),
            users.c.username,
            users.c.display_name,
            users.c.avatar_url,
            users.c.follower_count,
            users.c.is_verified,
        )
        .select_from(
            streams.join(users, users.c.id == streams.c.user_id).outerjoin(
                categories, categories.c.id == streams.c.category_id
            )
        )
        .where(streams.c.id.in_(list(ids)))
    )
    by_id = {row["id"]: row for row in rows}
    cards = []
    for stream_id in ids:
        row = by_id.get(stream_id)
        if row is None:
            # Deleted after the index answered; the outbox will remove it.
            continue
        cards.append(
            {
                "id": row["id"],
                "title": row["title"],
                "description": row["description"],
                "status": row["status"],
                "viewer_count": row["viewer_count"],
                "playback_url": row["playback_url"],
                "thumbnail_url": row["thumbnail_url"],
                "started_at": row["started_at"],
                "ended_at": row["ended_at"],
                "created_at": row["created_at"],
                "category_id": row["category_id"],
                "category_name": row["category_name"],
                "streamer": {
                    "id": row["streamer_id"],
                    "username": row["username"],
                    "display_name": row["display_name"],
                    "avatar_url": row["avatar_url"],
                    "follower_count": row["follower_count"],
                    "is_verified": row["is_verified"],
                },
            }
        )
    return cards
