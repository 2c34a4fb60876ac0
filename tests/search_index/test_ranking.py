"""The corpus query table on PostgreSQL and on the Meilisearch double."""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis.asyncio

from core.db import Database
from core.settings import Settings
from search_index.meilisearch import MeilisearchBackend
from search_index.postgres import PostgresSearch
from search_index.reindex import reindex
from tests.search_index.conftest import CORPUS_PATH, LoadedCorpus
from tests.search_index.query_table import check_case, ranked_keys

CASES = json.loads(CORPUS_PATH.read_text(encoding="utf-8"))["queries"]


async def test_query_table_on_postgres(
    postgres_search: PostgresSearch, loaded_corpus: LoadedCorpus
) -> None:
    for case in CASES:
        check_case(case, await ranked_keys(postgres_search, case, loaded_corpus))


async def test_query_table_on_meilisearch_double(
    db: Database,
    meili_backend: MeilisearchBackend,
    meili_settings: Settings,
    redis_client: redis.asyncio.Redis,
    loaded_corpus: LoadedCorpus,
) -> None:
    await reindex(db, meili_backend, redis_client, meili_settings)

    for case in CASES:
        check_case(case, await ranked_keys(meili_backend, case, loaded_corpus))


@pytest.mark.parametrize(
    ("query", "expected_first"),
    [
        ("tutorials redstone", None),
        ("packaging", "python-ended-1"),
        ('"opening theory" -french', "chess-sicilian"),
        ("borrow checkers", "rust-ended"),
    ],
)
async def test_postgres_language_features(
    postgres_search: PostgresSearch,
    loaded_corpus: LoadedCorpus,
    query: str,
    expected_first: Any,
) -> None:
    keys = await ranked_keys(
        postgres_search, {"name": query, "query": query, "first": []}, loaded_corpus
    )

    if expected_first is None:
        assert keys, f"{query!r} matched nothing"
    else:
        assert keys[:1] == [expected_first]
