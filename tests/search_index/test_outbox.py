"""Outbox drain, index writer lock, reindex with swap, and fallback to PostgreSQL."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
import redis.asyncio
from sqlalchemy import select, update

from core.db import Database
from core.search_outbox import record_search_change
from core.settings import Settings
from core.tables import search_outbox, streams, users
from search_index.interfaces import StreamQuery
from search_index.meilisearch import MeilisearchBackend
from search_index.outbox import IndexWriterBusy, drain_outbox, index_writer_lock
from search_index.postgres import PostgresSearch
from search_index.reindex import reindex
from search_index.service import SEARCH_FALLBACKS, SearchService
from tests.search_index.conftest import LoadedCorpus, MeiliDouble
from workers.search import drain_search_outbox_once


async def search_ids(backend: Any, text: str) -> list[Any]:
    return list((await backend.search_streams(StreamQuery(text=text))).ids)


async def outbox_rows(db: Database) -> list[dict[str, Any]]:
    return await db.fetch_all(select(search_outbox).order_by(search_outbox.c.id))


async def test_drain_applies_changes_and_deletes_rows(
    db: Database, meili_backend: MeilisearchBackend, loaded_corpus: LoadedCorpus
) -> None:
    stream_id = loaded_corpus.stream_ids["pixel-art"]
    async with db.transaction() as conn:
        await conn.execute(
            update(streams)
            .where(streams.c.id == stream_id)
            .values(title="Voxel sculpting night")
        )
        await record_search_change(conn, "stream", stream_id)

    result = await drain_outbox(db, meili_backend, batch_size=10)

    assert result.applied == 1
    assert result.failed is False
    assert await outbox_rows(db) == []
    assert await search_ids(meili_backend, "voxel sculpting") == [stream_id]


async def test_drain_keeps_rows_while_meilisearch_is_down(
    db: Database,
    meili_backend: MeilisearchBackend,
    meili_double: MeiliDouble,
    loaded_corpus: LoadedCorpus,
) -> None:
    stream_id = loaded_corpus.stream_ids["ramen-ended"]
    async with db.transaction() as conn:
        await conn.execute(
            update(streams)
            .where(streams.c.id == stream_id)
            .values(title="Shoyu broth basics")
        )
        await record_search_change(conn, "stream", stream_id)
    meili_double.state.unavailable = True

    failed = await drain_outbox(db, meili_backend, batch_size=10)
    rows = await outbox_rows(db)

    assert failed.failed is True
    assert failed.applied == 0
    assert len(rows) == 1
    assert rows[0]["attempts"] == 1
    assert "503" in rows[0]["last_error"]

    meili_double.state.unavailable = False
    recovered = await drain_outbox(db, meili_backend, batch_size=10)

    assert recovered.applied == 1
    assert await outbox_rows(db) == []
    assert await search_ids(meili_backend, "shoyu broth") == [stream_id]


async def test_drain_handles_rename_and_deletion(
    db: Database, meili_backend: MeilisearchBackend, loaded_corpus: LoadedCorpus
) -> None:
    user_id = loaded_corpus.user_ids["pixelpaula"]
    doomed = loaded_corpus.stream_ids["carbonara-old"]
    async with db.transaction() as conn:
        await conn.execute(
            update(users).where(users.c.id == user_id).values(username="voxelvera")
        )
        await record_search_change(conn, "user", user_id)
        await conn.execute(streams.delete().where(streams.c.id == doomed))
        await record_search_change(conn, "stream", doomed)

    await drain_outbox(db, meili_backend, batch_size=1)

    assert await search_ids(meili_backend, "voxelvera") == [
        loaded_corpus.stream_ids["pixel-art"]
    ]
    assert await search_ids(meili_backend, "carbonara") == []
    streamers = await meili_backend.client.search(
        meili_backend.uid("streamers"), {"q": "voxelvera"}
    )
    assert [hit["id"] for hit in streamers["hits"]] == [str(user_id)]


async def test_postgres_vector_follows_rename(
    db: Database, postgres_search: PostgresSearch, loaded_corpus: LoadedCorpus
) -> None:
    user_id = loaded_corpus.user_ids["pixelpaula"]

    await db.execute(
        update(users).where(users.c.id == user_id).values(display_name="Vera Voxel")
    )

    assert await search_ids(postgres_search, "vera voxel") == [
        loaded_corpus.stream_ids["pixel-art"]
    ]
    assert await search_ids(postgres_search, "paula") == []


async def test_drain_without_meilisearch_discards_rows(
    db: Database, loaded_corpus: LoadedCorpus
) -> None:
    async with db.transaction() as conn:
        await record_search_change(
            conn, "stream", loaded_corpus.stream_ids["pixel-art"]
        )

    result = await drain_outbox(db, None, batch_size=10)

    assert result.applied == 1
    assert await outbox_rows(db) == []


async def test_writer_lock_excludes_second_writer(
    meili_settings: Settings, redis_client: redis.asyncio.Redis
) -> None:
    async with index_writer_lock(redis_client, meili_settings):
        with pytest.raises(IndexWriterBusy):
            async with index_writer_lock(redis_client, meili_settings):
                pass

    async with index_writer_lock(redis_client, meili_settings):
        pass


async def test_worker_hook_skips_while_reindex_holds_lock(
    db: Database,
    meili_settings: Settings,
    redis_client: redis.asyncio.Redis,
    http_session: aiohttp.ClientSession,
    loaded_corpus: LoadedCorpus,
) -> None:
    async with db.transaction() as conn:
        await record_search_change(
            conn, "stream", loaded_corpus.stream_ids["pixel-art"]
        )

    async with index_writer_lock(redis_client, meili_settings):
        skipped = await drain_search_outbox_once(
            meili_settings, db, redis_client, http_session
        )
    drained = await drain_search_outbox_once(
        meili_settings, db, redis_client, http_session
    )

    assert skipped is None
    assert drained is not None
    assert drained.applied == 1
    assert await outbox_rows(db) == []


async def test_reindex_swaps_in_a_fresh_index(
    db: Database,
    meili_backend: MeilisearchBackend,
    meili_settings: Settings,
    meili_double: MeiliDouble,
    redis_client: redis.asyncio.Redis,
    loaded_corpus: LoadedCorpus,
) -> None:
    await reindex(db, meili_backend, redis_client, meili_settings)
    # Changed without an outbox row: only a rebuild picks it up.
    stream_id = loaded_corpus.stream_ids["python-live"]
    await db.execute(
        update(streams)
        .where(streams.c.id == stream_id)
        .values(title="Snake game in assembly")
    )

    counts = await reindex(
        db, meili_backend, redis_client, meili_settings, batch_size=50
    )

    assert counts["streams"] == len(loaded_corpus.stream_ids)
    assert counts["categories"] == len(loaded_corpus.category_ids)
    assert await search_ids(meili_backend, "assembly") == [stream_id]
    uids = set(meili_double.state.indexes)
    assert uids == {
        meili_backend.uid(kind) for kind in ("streams", "streamers", "categories")
    }
    swaps = [
        task
        for task in meili_double.state.tasks.values()
        if task["type"] == "indexSwap"
    ]
    assert len(swaps) == 6
    assert all(task["status"] == "succeeded" for task in swaps)


async def test_service_falls_back_to_postgres(
    db: Database,
    meili_backend: MeilisearchBackend,
    meili_double: MeiliDouble,
    postgres_search: PostgresSearch,
    loaded_corpus: LoadedCorpus,
) -> None:
    service = SearchService(db, meili_backend, fallback=postgres_search)
    meili_double.state.unavailable = True
    before = SEARCH_FALLBACKS.labels("search")._value.get()

    page = await service.search_streams(StreamQuery(text="rust async runtime"))

    assert page.cards[0]["id"] == loaded_corpus.stream_ids["rust-tokio"]
    assert SEARCH_FALLBACKS.labels("search")._value.get() == before + 1


async def test_service_falls_back_when_server_is_gone(
    db: Database,
    meili_backend: MeilisearchBackend,
    meili_double: MeiliDouble,
    postgres_search: PostgresSearch,
    loaded_corpus: LoadedCorpus,
) -> None:
    service = SearchService(db, meili_backend, fallback=postgres_search)
    await meili_double.server.close()

    suggestions = await service.suggest("tourn", 3)

    assert [item.text for item in suggestions][:1] == ["Online tournament commentary"]
