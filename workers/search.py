"""The actor that drains the search outbox into Meilisearch."""

from __future__ import annotations

import logging

import aiohttp
import dramatiq
import redis.asyncio

from core.db import Database
from core.settings import Settings
from search_index.outbox import (
    DrainResult,
    IndexWriterBusy,
    drain_outbox,
    index_writer_lock,
)
from search_index.postgres import PostgresSearch
from search_index.service import build_meilisearch_backend
from workers.resources import get_resources

logger = logging.getLogger(__name__)

#: Batches applied per run; the next run continues where this one stopped.
MAX_BATCHES_PER_RUN = 50


async def drain_search_outbox_once(
    settings: Settings,
    db: Database,
    redis_client: redis.asyncio.Redis,
    session: aiohttp.ClientSession,
) -> DrainResult | None:
    """Drain the outbox under the index writer lock; return None when another writer holds it."""
    backend = None
    if settings.meilisearch_url:
        backend = build_meilisearch_backend(settings, session, PostgresSearch(db))
    try:
        async with index_writer_lock(redis_client, settings):
            return await drain_outbox(
                db,
                backend,
                batch_size=settings.search_outbox_batch_size,
                max_batches=MAX_BATCHES_PER_RUN,
            )
    except IndexWriterBusy:
        logger.debug("search outbox drain skipped: the index writer lock is taken")
        return None


@dramatiq.actor(queue_name="search", max_retries=0)
async def drain_search_outbox(tick_at: str | None = None) -> None:
    """Apply pending search outbox rows; the scheduler sends this every few seconds.

    A failed batch stays in the outbox with its attempt count raised, and the
    next scheduled run retries it, so the actor itself does not retry.
    """
    resources = get_resources()
    result = await drain_search_outbox_once(
        resources.settings, resources.db, resources.redis, resources.http_session
    )
    if result is not None and result.failed:
        logger.warning(
            "search outbox drain stopped on a failure tick_at=%s applied=%s",
            tick_at,
            result.applied,
        )
