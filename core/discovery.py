"""Read side of the trending and rising rankings: top ids from Redis, rows from PostgreSQL.

Rankings are recomputed periodically, so a ranked stream may have ended
since. Those are dropped when the rows are read, and a few extra members are
read to make up for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import redis.asyncio
import sqlalchemy as sa

from core.db import Database, Row
from core.rising import rising_key
from core.settings import Settings
from core.streams.queries import STREAMER_FIELDS
from core.tables import streams, users
from core.trending import read_ranking, scope_for, trending_key

#: Extra ranked members read beyond ``limit``, to replace streams that ended.
ENDED_SLACK = 10


@dataclass(frozen=True)
class RankedStream:
    """A live stream row (with ``streamer_*`` fields) and its ranking score."""

    row: Row
    score: float


async def live_streams_by_id(db: Database, stream_ids: list[UUID]) -> dict[UUID, Row]:
    """Return the live streams among ``stream_ids`` with their streamer's public fields."""
    if not stream_ids:
        return {}
    streamer_columns = [
        users.c[name].label(f"streamer_{name}") for name in STREAMER_FIELDS
    ]
    rows = await db.fetch_all(
        sa.select(
            streams,
            users.c.total_stream_seconds.label("streamer_total_stream_seconds"),
            *streamer_columns,
        )
        .join_from(streams, users, users.c.id == streams.c.user_id)
        .where(streams.c.id.in_(stream_ids), streams.c.status == "live")
    )
    return {row["id"]: row for row in rows}


async def _ranked(
    db: Database, redis_client: redis.asyncio.Redis, key: str, *, limit: int
) -> tuple[list[RankedStream], int]:
    ranking, total = await read_ranking(redis_client, key, limit=limit + ENDED_SLACK)
    rows = await live_streams_by_id(db, [stream_id for stream_id, _ in ranking])
    ranked = [
        RankedStream(row=rows[stream_id], score=score)
        for stream_id, score in ranking
        if stream_id in rows
    ]
    return ranked[:limit], total


async def trending_streams(
    db: Database,
    redis_client: redis.asyncio.Redis,
    settings: Settings,
    *,
    hours: int,
    category_id: UUID | None,
    limit: int,
) -> tuple[list[RankedStream], int]:
    """Return the top trending live streams and the number ranked in the scope."""
    key = trending_key(settings, hours, scope_for(category_id))
    return await _ranked(db, redis_client, key, limit=limit)


async def rising_streams(
    db: Database,
    redis_client: redis.asyncio.Redis,
    settings: Settings,
    *,
    category_id: UUID | None,
    limit: int,
) -> tuple[list[RankedStream], int]:
    """Return the live streams of rising streamers, most viewers gained first."""
    key = rising_key(settings, scope_for(category_id))
    return await _ranked(db, redis_client, key, limit=limit)
