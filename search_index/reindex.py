"""Rebuild the Meilisearch indexes from the database without downtime.

For each index kind a fresh index ``<uid>_rebuild`` is filled from the
database with the current settings, then swapped with the live index in one
``/swap-indexes`` task, and the old data is deleted. Searches use the old
index until the swap. The rebuild holds the index writer lock, so the outbox
drain waits, and changes committed during the rebuild stay in the outbox and
are applied to the new index afterwards.
"""

from __future__ import annotations

import logging

import redis.asyncio

from core.db import Database
from core.settings import Settings
from search_index.documents import INDEX_KINDS, iter_document_batches
from search_index.meilisearch import INDEX_SETTINGS, MeilisearchBackend
from search_index.outbox import index_writer_lock

logger = logging.getLogger(__name__)

#: Documents per add-documents task during a rebuild.
REINDEX_BATCH_SIZE = 1000
#: Lock lifetime granted again after every batch, in seconds.
REINDEX_LOCK_SECONDS = 600


async def reindex(
    db: Database,
    backend: MeilisearchBackend,
    redis_client: redis.asyncio.Redis,
    settings: Settings,
    *,
    batch_size: int = REINDEX_BATCH_SIZE,
    wait_seconds: float = 30.0,
) -> dict[str, int]:
    """Rebuild every index and return the number of documents written per kind."""
    client = backend.client
    counts: dict[str, int] = {}
    async with index_writer_lock(
        redis_client,
        settings,
        wait_seconds=wait_seconds,
        lock_seconds=REINDEX_LOCK_SECONDS,
    ) as lock:
        for kind in INDEX_KINDS:
            live_uid = backend.uid(kind)
            fresh_uid = f"{live_uid}_rebuild"
            # A rebuild that crashed earlier may have left its index behind.
            await client.delete_index(fresh_uid)
            await client.ensure_index(fresh_uid)
            await client.update_settings(fresh_uid, INDEX_SETTINGS[kind])

            written = 0
            async for documents in iter_document_batches(db, kind, batch_size):
                await client.add_documents(fresh_uid, documents)
                written += len(documents)
                await lock.extend(REINDEX_LOCK_SECONDS, replace_ttl=True)

            await client.ensure_index(live_uid)
            await client.swap_indexes(live_uid, fresh_uid)
            await client.delete_index(fresh_uid)
            counts[kind] = written
            logger.info("search index rebuilt index=%s documents=%s", live_uid, written)
    return counts
