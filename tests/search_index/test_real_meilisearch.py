"""The corpus query table against a real Meilisearch, when MEILISEARCH_URL is set."""

from __future__ import annotations

import json
import os
import uuid

import aiohttp
import pytest
import redis.asyncio
from pydantic import SecretStr

from core.db import Database
from core.settings import Settings
from search_index.postgres import PostgresSearch
from search_index.reindex import reindex
from search_index.service import build_meilisearch_backend
from tests.search_index.conftest import CORPUS_PATH, LoadedCorpus
from tests.search_index.query_table import check_case, ranked_keys

MEILISEARCH_URL = os.environ.get("MEILISEARCH_URL")

pytestmark = [
    pytest.mark.meilisearch,
    pytest.mark.skipif(not MEILISEARCH_URL, reason="MEILISEARCH_URL is not set"),
]

CASES = json.loads(CORPUS_PATH.read_text(encoding="utf-8"))["queries"]


async def test_query_table_on_real_meilisearch(
    db: Database,
    base_settings: Settings,
    redis_client: redis.asyncio.Redis,
    http_session: aiohttp.ClientSession,
    loaded_corpus: LoadedCorpus,
) -> None:
    api_key = os.environ.get("MEILISEARCH_API_KEY")
    settings = base_settings.model_copy(
        update={
            "meilisearch_url": MEILISEARCH_URL,
            "meilisearch_api_key": SecretStr(api_key) if api_key else None,
            "meilisearch_index_prefix": f"lstest{uuid.uuid4().hex[:8]}",
            "meilisearch_task_timeout_seconds": 60.0,
        }
    )
    backend = build_meilisearch_backend(settings, http_session, PostgresSearch(db))
    await backend.apply_settings()
    try:
        await reindex(db, backend, redis_client, settings)

        for case in CASES:
            check_case(case, await ranked_keys(backend, case, loaded_corpus))
    finally:
        for kind in ("streams", "streamers", "categories"):
            await backend.client.delete_index(backend.uid(kind))
