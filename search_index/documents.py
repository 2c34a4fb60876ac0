"""Search documents built from database rows, and the queries that read those rows.

Each index kind has one builder. The stream document carries what the
Meilisearch index filters, sorts and ranks on: ``live_rank`` (1 when live)
puts live streams first, and ``recency_ts`` (start time, or creation time for
streams never started) breaks ties. Times are Unix seconds as floats so that
range filters keep sub-second precision.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import Select, or_, select

from core.db import Connection, Database
from core.tables import categories, streams, users

IndexKind = Literal["streams", "streamers", "categories"]
INDEX_KINDS: tuple[IndexKind, ...] = ("streams", "streamers", "categories")

Document = dict[str, Any]


def _timestamp(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def stream_document(row: dict[str, Any]) -> Document:
    """Build a stream document from a row of :func:`stream_rows_query`."""
    started_ts = _timestamp(row["started_at"])
    return {
        "id": str(row["id"]),
        "title": row["title"],
        "description": row["description"],
        "username": row["username"],
        "display_name": row["display_name"],
        "user_id": str(row["user_id"]),
        "category_id": str(row["category_id"]) if row["category_id"] else None,
        "category_name": row["category_name"],
        "status": row["status"],
        "live_rank": 1 if row["status"] == "live" else 0,
        "viewer_count": row["viewer_count"],
        "started_at_ts": started_ts,
        "recency_ts": started_ts
        if started_ts is not None
        else _timestamp(row["created_at"]),
    }


def streamer_document(row: dict[str, Any]) -> Document:
    return {
        "id": str(row["id"]),
        "username": row["username"],
        "display_name": row["display_name"],
        "follower_count": row["follower_count"],
    }


def category_document(row: dict[str, Any]) -> Document:
    return {"id": str(row["id"]), "name": row["name"], "slug": row["slug"]}


def stream_rows_query() -> Select[Any]:
    """Select every column the stream document needs, one row per stream."""
    return select(
        streams.c.id,
        streams.c.title,
        streams.c.description,
        streams.c.user_id,
        streams.c.category_id,
        streams.c.status,
        streams.c.viewer_count,
        streams.c.started_at,
        streams.c.created_at,
        users.c.username,
        users.c.display_name,
        categories.c.name.label("category_name"),
    ).select_from(
        streams.join(users, users.c.id == streams.c.user_id).outerjoin(
            categories, categories.c.id == streams.c.category_id
        )
    )


def streamer_rows_query() -> Select[Any]:
    return select(
        users.c.id, users.c.username, users.c.display_name, users.c.follower_count
    )


def category_rows_query() -> Select[Any]:
    return select(categories.c.id, categories.c.name, categories.c.slug)


_ROWS: dict[IndexKind, tuple[Any, Any]] = {
    "streams": (stream_rows_query, streams.c.id),
    "streamers": (streamer_rows_query, users.c.id),
    "categories": (category_rows_query, categories.c.id),
}

_BUILDERS = {
    "streams": stream_document,
    "streamers": streamer_document,
    "categories": category_document,
}


def build_documents(kind: IndexKind, rows: Iterable[dict[str, Any]]) -> list[Document]:
    builder = _BUILDERS[kind]
    return [builder(row) for row in rows]


async def load_documents(
    conn: Connection | Database, kind: IndexKind, ids: Sequence[UUID]
) -> list[Document]:
    """Build the documents of ``kind`` for ``ids``; ids without a row are left out."""
    if not ids:
        return []
    query_factory, id_column = _ROWS[kind]
    rows = await conn.fetch_all(query_factory().where(id_column.in_(list(ids))))
    return build_documents(kind, rows)


async def iter_document_batches(
    db: Database, kind: IndexKind, batch_size: int
) -> AsyncIterator[list[Document]]:
    """Yield every document of ``kind`` in batches, walking the primary key (keyset)."""
    query_factory, id_column = _ROWS[kind]
    last_id: UUID | None = None
    while True:
        statement = query_factory().order_by(id_column).limit(batch_size)
        if last_id is not None:
            statement = statement.where(id_column > last_id)
        rows = await db.fetch_all(statement)
        if not rows:
            return
        yield build_documents(kind, rows)
        last_id = rows[-1]["id"]


async def stream_ids_of(
    conn: Connection | Database,
    *,
    user_ids: Sequence[UUID] = (),
    category_ids: Sequence[UUID] = (),
) -> list[UUID]:
    """Return ids of streams owned by ``user_ids`` or filed under ``category_ids``."""
    conditions = []
    if user_ids:
        conditions.append(streams.c.user_id.in_(list(user_ids)))
    if category_ids:
        conditions.append(streams.c.category_id.in_(list(category_ids)))
    if not conditions:
        return []
    rows = await conn.fetch_all(select(streams.c.id).where(or_(*conditions)))
    return [row["id"] for row in rows]
