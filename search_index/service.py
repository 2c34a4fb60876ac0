"""The search service: picks the backend and falls back to PostgreSQL when Meilisearch fails.

With ``MEILISEARCH_URL`` unset every call goes to PostgreSQL. With it set,
calls go to Meilisearch, and a call that fails (connection refused, timeout,
an error status) is served from PostgreSQL instead and counted in
``search_fallbacks_total``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
from prometheus_client import Counter

from core.db import Database
from core.settings import Settings
from search_index.interfaces import SearchBackend, SearchTerm, StreamQuery, Suggestion
from search_index.meili_client import MeilisearchClient, MeilisearchError
from search_index.meilisearch import MeilisearchBackend
from search_index.postgres import PostgresSearch
from search_index.results import load_stream_cards

logger = logging.getLogger(__name__)

SEARCH_FALLBACKS = Counter(
    "search_fallbacks_total",
    "Search calls answered from PostgreSQL because Meilisearch failed.",
    ["operation"],
)

#: At most one fallback warning per this many seconds; the rest are counted.
FALLBACK_LOG_INTERVAL_SECONDS = 60.0

ResultT = TypeVar("ResultT")


@dataclass(frozen=True)
class StreamSearchPage:
    cards: list[dict[str, Any]]
    total: int


class SearchService:
    """Entry point of the API handlers; see the module docstring for the fallback rule."""

    def __init__(
        self, db: Database, backend: SearchBackend, fallback: PostgresSearch | None
    ) -> None:
        self.db = db
        self.backend = backend
        self.fallback = fallback
        self._last_warning = float("-inf")
        self._suppressed = 0

    async def search_streams(self, query: StreamQuery) -> StreamSearchPage:
        hits = await self._call("search", lambda backend: backend.search_streams(query))
        cards = await load_stream_cards(self.db, hits.ids)
        return StreamSearchPage(cards=cards, total=hits.total)

    async def suggest(self, text: str, limit: int) -> list[Suggestion]:
        return await self._call(
            "suggestions", lambda backend: backend.suggest(text, limit)
        )

    async def popular_terms(self, limit: int) -> list[SearchTerm]:
        return await self._call("popular", lambda backend: backend.popular_terms(limit))

    async def trending_terms(self, hours: int, limit: int) -> list[SearchTerm]:
        return await self._call(
            "trending", lambda backend: backend.trending_terms(hours, limit)
        )

    async def _call(
        self, operation: str, run: Callable[[SearchBackend], Awaitable[ResultT]]
    ) -> ResultT:
        if self.fallback is None:
            return await run(self.backend)
        try:
            return await run(self.backend)
        except MeilisearchError as error:
            SEARCH_FALLBACKS.labels(operation).inc()
            self._warn_fallback(operation, error)
            return await run(self.fallback)

    def _warn_fallback(self, operation: str, error: MeilisearchError) -> None:
        now = time.monotonic()
        if now - self._last_warning < FALLBACK_LOG_INTERVAL_SECONDS:
            self._suppressed += 1
            return
        logger.warning(
            "meilisearch call failed; served from postgres operation=%s suppressed=%s error=%s",
            operation,
            self._suppressed,
            error,
        )
        self._last_warning = now
        self._suppressed = 0


def build_meilisearch_backend(
    settings: Settings, session: aiohttp.ClientSession, postgres: PostgresSearch
) -> MeilisearchBackend:
    """Build the Meilisearch backend from ``settings``; ``MEILISEARCH_URL`` must be set."""
    if not settings.meilisearch_url:
        raise ValueError("MEILISEARCH_URL is not set: the Meilisearch backend needs it")
    api_key = settings.meilisearch_api_key
    client = MeilisearchClient(
        session,
        settings.meilisearch_url,
        api_key.get_secret_value() if api_key is not None else None,
        timeout_seconds=settings.meilisearch_timeout_seconds,
        task_timeout_seconds=settings.meilisearch_task_timeout_seconds,
    )
    return MeilisearchBackend(client, settings.meilisearch_index_prefix, postgres)


async def open_search_service(
    settings: Settings, db: Database, session: aiohttp.ClientSession
) -> SearchService:
    """Choose the backend; with Meilisearch, apply its index settings first.

    A Meilisearch that cannot be reached at start-up does not stop the
    process: the error is logged and searches fall back to PostgreSQL until
    it answers. Its settings are applied again by the next start or reindex.
    """
    postgres = PostgresSearch(db)
    if not settings.meilisearch_url:
        logger.info("search backend=postgres")
        return SearchService(db, postgres, fallback=None)
    backend = build_meilisearch_backend(settings, session, postgres)
    try:
        await backend.apply_settings()
    except MeilisearchError as error:
        logger.error(
            "meilisearch settings not applied; searches fall back to postgres error=%s",
            error,
        )
    logger.info(
        "search backend=meilisearch prefix=%s", settings.meilisearch_index_prefix
    )
    return SearchService(db, backend, fallback=postgres)
