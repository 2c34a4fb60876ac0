"""Drain the ``search_outbox`` table into the Meilisearch indexes.

Writers insert one outbox row per changed stream, user or category in the
same transaction as the change (``core.search_outbox``). The drain reads rows
in id order, in batches, builds documents from the current database rows,
pushes them, and deletes the rows only once Meilisearch reports the tasks as
succeeded. When Meilisearch fails, the rows stay, their ``attempts`` count
goes up, and the next drain starts again from the same row. No change is
lost while Meilisearch is down; indexing is delayed.

One writer at a time: a drain and a full reindex hold the same Redis lock, so
two workers never push older documents after newer ones.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import redis.asyncio
import redis.exceptions
from sqlalchemy import delete, select, update

from core.db import Database
from core.redis import redis_key
from core.settings import Settings
from core.tables import search_outbox
from search_index.documents import load_documents, stream_ids_of
from search_index.meili_client import MeilisearchError
from search_index.meilisearch import MeilisearchBackend

logger = logging.getLogger(__name__)

#: Seconds the writer lock lives without renewal; a crashed holder frees it then.
WRITER_LOCK_SECONDS = 300
#: Longest stored error text per outbox row.
MAX_ERROR_LENGTH = 500


class IndexWriterBusy(RuntimeError):
    """Another drain or reindex holds the search index writer lock."""


@asynccontextmanager
async def index_writer_lock(
    client: redis.asyncio.Redis,
    settings: Settings,
    *,
    wait_seconds: float = 0.0,
    lock_seconds: float = WRITER_LOCK_SECONDS,
) -> AsyncIterator[Any]:
    """Hold the lock that serialises every write to the search indexes.

    Raises IndexWriterBusy when the lock is not free within ``wait_seconds``.
    The yielded lock object has ``extend(seconds)`` for long holders.
    """
    lock = client.lock(
        redis_key(settings, "search", "index-writer"),
        timeout=lock_seconds,
        blocking=wait_seconds > 0,
        blocking_timeout=wait_seconds or None,
    )
    if not await lock.acquire():
        raise IndexWriterBusy(
            "another search drain or reindex is running; retry when it has finished"
        )
    try:
        yield lock
    finally:
        try:
            await lock.release()
        except redis.exceptions.LockError:
            logger.warning("search index writer lock expired before release")


@dataclass(frozen=True)
class DrainResult:
    """Rows applied and deleted, and whether the drain stopped on a failure."""

    applied: int
    failed: bool


async def apply_changes(
    db: Database, backend: MeilisearchBackend, rows: Sequence[dict[str, Any]]
) -> None:
    """Push the current state of every entity named in ``rows`` to the indexes.

    A renamed user or category also changes the stream documents that embed
    its name, so their streams are rebuilt as well. Entities whose row is
    gone are deleted from their index.
    """
    changed: dict[str, set[UUID]] = {"stream": set(), "user": set(), "category": set()}
    for row in rows:
        changed.setdefault(row["entity"], set()).add(row["entity_id"])
    unknown = set(changed) - {"stream", "user", "category"}
    if unknown:
        logger.warning(
            "search outbox rows with unknown entity ignored entities=%s",
            sorted(unknown),
        )

    for entity, kind in (("user", "streamers"), ("category", "categories")):
        ids = sorted(changed[entity])
        documents = await load_documents(db, kind, ids)
        await backend.index_documents(kind, documents)
        found = {document["id"] for document in documents}
        await backend.delete_documents(
            kind, [str(i) for i in ids if str(i) not in found]
        )

    dependent = await stream_ids_of(
        db, user_ids=sorted(changed["user"]), category_ids=sorted(changed["category"])
    )
    # NOTE: streams removed by a cascading user delete have no outbox rows and
    # stay in the streams index until a reindex. Searches skip them because
    # result cards are read from PostgreSQL, but they still count in totals.
    stream_ids = sorted(changed["stream"] | set(dependent))
    documents = await load_documents(db, "streams", stream_ids)
    await backend.index_documents("streams", documents)
    found = {document["id"] for document in documents}
    await backend.delete_documents(
        "streams", [str(i) for i in stream_ids if str(i) not in found]
    )


async def drain_outbox(
    db: Database,
    backend: MeilisearchBackend | None,
    *,
    batch_size: int,
    max_batches: int | None = None,
) -> DrainResult:
    """Apply outbox rows oldest first until the table is empty or a batch fails.

    With ``backend`` None (no Meilisearch configured) rows are deleted
    unapplied: the PostgreSQL index is kept by triggers, and a later switch to
    Meilisearch starts with a full reindex.
    """
    applied = 0
    batches = 0
    while max_batches is None or batches < max_batches:
        rows = await db.fetch_all(
            select(
                search_outbox.c.id, search_outbox.c.entity, search_outbox.c.entity_id
            )
            .order_by(search_outbox.c.id)
            .limit(batch_size)
        )
        if not rows:
            break
        batches += 1
        ids = [row["id"] for row in rows]
        if backend is not None:
            try:
                await apply_changes(db, backend, rows)
            except MeilisearchError as error:
                await db.execute(
                    update(search_outbox)
                    .where(search_outbox.c.id.in_(ids))
                    .values(
                        attempts=search_outbox.c.attempts + 1,
                        last_error=str(error)[:MAX_ERROR_LENGTH],
                    )
                )
                logger.warning(
                    "search outbox batch failed; rows kept first_id=%s rows=%s error=%s",
                    ids[0],
                    len(ids),
                    error,
                )
                return DrainResult(applied=applied, failed=True)
        await db.execute(delete(search_outbox).where(search_outbox.c.id.in_(ids)))
        applied += len(ids)
    if applied:
        logger.info("search outbox drained rows=%s batches=%s", applied, batches)
    return DrainResult(applied=applied, failed=False)
