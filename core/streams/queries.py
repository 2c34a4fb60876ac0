"""Read queries for streams: details, public and per-user listings, live lookups.

Every query that feeds an API response selects the stream's columns plus its
streamer's public fields, labelled ``streamer_<field>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from uuid import UUID

import sqlalchemy as sa

from core.db import Connection, Database, Row, count_up_to
from core.tables import streams, users

StatusFilter = Literal["live", "ended", "all"]

#: Streamer fields embedded in every stream that a listing or details return.
STREAMER_FIELDS = (
    "id",
    "username",
    "display_name",
    "avatar_url",
    "follower_count",
    "is_verified",
)


@dataclass(frozen=True)
class StreamFilters:
    """Optional filters of a public listing, where ``None`` means no filter."""

    status: StatusFilter = "all"
    category_id: UUID | None = None
    user_id: UUID | None = None
    tenant_id: UUID | None = None
    search: str | None = None


@dataclass(frozen=True)
class StreamPage:
    rows: list[Row]
    total: int


def _with_streamer() -> sa.Select:
    streamer_columns = [
        users.c[name].label(f"streamer_{name}") for name in STREAMER_FIELDS
    ]
    return sa.select(streams, *streamer_columns).select_from(
        streams.join(users, users.c.id == streams.c.user_id)
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filter_conditions(filters: StreamFilters) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if filters.category_id is not None:
        conditions.append(streams.c.category_id == filters.category_id)
    if filters.user_id is not None:
        conditions.append(streams.c.user_id == filters.user_id)
    if filters.tenant_id is not None:
        conditions.append(streams.c.tenant_id == filters.tenant_id)
    if filters.search:
        pattern = f"%{_escape_like(filters.search)}%"
        conditions.append(
            sa.or_(
                streams.c.title.ilike(pattern, escape="\\"),
                streams.c.description.ilike(pattern, escape="\\"),
            )
        )
    return conditions


async def get_stream(conn: Connection | Database, stream_id: UUID) -> Row | None:
    """Return the stream with its streamer fields, or None."""
    return await conn.fetch_one(_with_streamer().where(streams.c.id == stream_id))


async def lock_stream(conn: Connection, stream_id: UUID) -> Row | None:
    """Return the bare stream row locked FOR UPDATE until the transaction ends."""
    return await conn.fetch_one(
        sa.select(streams).where(streams.c.id == stream_id).with_for_update()
    )


async def lock_stream_by_live_input(
    conn: Connection, live_input_uid: str
) -> Row | None:
    """Return the stream of a Cloudflare live input locked FOR UPDATE, or None."""
    return await conn.fetch_one(
        sa.select(streams)
        .where(streams.c.live_input_uid == live_input_uid)
        .with_for_update()
    )


async def get_live_stream_of_user(
    conn: Connection | Database, user_id: UUID
) -> Row | None:
    """Return the user's live stream with streamer fields, or None."""
    return await conn.fetch_one(
        _with_streamer().where(streams.c.user_id == user_id, streams.c.status == "live")
    )


async def _count(
    conn: Connection | Database, conditions: list[sa.ColumnElement[bool]]
) -> int:
    """Count matching streams up to ``MAX_LIST_DEPTH``, the deepest page reachable."""
    return await count_up_to(conn, sa.select(streams.c.id).where(*conditions))


async def list_public_streams(
    conn: Connection | Database, filters: StreamFilters, *, offset: int, limit: int
) -> StreamPage:
    """List live streams by viewer count, then ended streams newest first.

    Offline streams are never listed here. The two parts are read separately
    so that each follows its partial index (``ix_streams_live_viewers`` and
    ``ix_streams_ended_recent``), and a page that spans the boundary takes the
    tail of the live part and the head of the ended part.
    """
    conditions = _filter_conditions(filters)
    live_conditions = [*conditions, streams.c.status == "live"]
    ended_conditions = [*conditions, streams.c.status == "ended"]

    live_total = await _count(conn, live_conditions) if filters.status != "ended" else 0
    ended_total = (
        await _count(conn, ended_conditions) if filters.status != "live" else 0
    )

    rows: list[Row] = []
    if filters.status != "ended" and offset < live_total:
        live_query = (
            _with_streamer()
            .where(*live_conditions)
            .order_by(streams.c.viewer_count.desc(), streams.c.id)
            .offset(offset)
            .limit(limit)
        )
        rows.extend(await conn.fetch_all(live_query))

    remaining = limit - len(rows)
    if filters.status != "live" and remaining > 0:
        ended_offset = max(0, offset - live_total)
        ended_query = (
            _with_streamer()
            .where(*ended_conditions)
            .order_by(streams.c.ended_at.desc(), streams.c.id)
            .offset(ended_offset)
            .limit(remaining)
        )
        rows.extend(await conn.fetch_all(ended_query))

    return StreamPage(rows=rows, total=live_total + ended_total)


async def list_user_streams(
    conn: Connection | Database,
    user_id: UUID,
    *,
    status: StatusFilter,
    include_offline: bool,
    offset: int,
    limit: int,
) -> StreamPage:
    """List one user's streams newest first (``ix_streams_user_created``).

    ``include_offline`` adds streams that never went live; only their owner
    should see those.
    """
    conditions: list[sa.ColumnElement[bool]] = [streams.c.user_id == user_id]
    if status == "all":
        if not include_offline:
            conditions.append(streams.c.status != "offline")
    else:
        conditions.append(streams.c.status == status)

    total = await _count(conn, conditions)
    query = (
        _with_streamer()
        .where(*conditions)
        .order_by(streams.c.created_at.desc(), streams.c.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return StreamPage(rows=await conn.fetch_all(query), total=total)
