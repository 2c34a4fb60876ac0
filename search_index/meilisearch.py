"""The Meilisearch backend: index settings, stream search, suggestions, document writes.

Three indexes live under ``MEILISEARCH_INDEX_PREFIX``: ``<prefix>_streams``,
``<prefix>_streamers`` and ``<prefix>_categories``. Their settings are applied
at start-up by :meth:`MeilisearchBackend.apply_settings`, so a fresh
Meilisearch needs no manual set-up. Popular and trending terms are computed
from PostgreSQL by both backends, because they are aggregates over live
viewer counts that the index does not hold current.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from search_index.documents import INDEX_KINDS, Document, IndexKind
from search_index.interfaces import (
    MAX_SEARCH_WINDOW,
    SEARCHABLE_STATUSES,
    SearchHits,
    SearchTerm,
    StreamQuery,
    Suggestion,
)
from search_index.meili_client import MeilisearchClient
from search_index.postgres import PostgresSearch
from search_index.suggestions import SuggestionCandidate, rank_suggestions
from search_index.terms import STOP_WORDS, tokenize

logger = logging.getLogger(__name__)

_TYPO_TOLERANCE = {
    "enabled": True,
    "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
}

#: Settings applied to each index at start-up and to every rebuilt index.
INDEX_SETTINGS: dict[IndexKind, dict[str, Any]] = {
    "streams": {
        "searchableAttributes": ["title", "description", "username", "display_name"],
        "filterableAttributes": [
            "status",
            "category_id",
            "user_id",
            "started_at_ts",
            "live_rank",
        ],
        "sortableAttributes": ["viewer_count", "started_at_ts", "recency_ts"],
        # Live first, then relevance, then recency.
        "rankingRules": [
            "live_rank:desc",
            "words",
            "typo",
            "proximity",
            "attribute",
            "sort",
            "exactness",
            "recency_ts:desc",
        ],
        "stopWords": sorted(STOP_WORDS),
        "typoTolerance": _TYPO_TOLERANCE,
        "pagination": {"maxTotalHits": MAX_SEARCH_WINDOW},
    },
    "streamers": {
        "searchableAttributes": ["username", "display_name"],
        "filterableAttributes": [],
        "sortableAttributes": ["follower_count"],
        "rankingRules": [
            "words",
            "typo",
            "proximity",
            "attribute",
            "exactness",
            "follower_count:desc",
        ],
        "typoTolerance": _TYPO_TOLERANCE,
    },
    "categories": {
        "searchableAttributes": ["name", "slug"],
        "filterableAttributes": [],
        "sortableAttributes": [],
        "rankingRules": ["words", "typo", "proximity", "attribute", "exactness"],
        "typoTolerance": _TYPO_TOLERANCE,
    },
}


def index_uid(prefix: str, kind: IndexKind) -> str:
    return f"{prefix}_{kind}"


def _quote(value: str) -> str:
    # JSON string syntax is a valid Meilisearch filter string literal.
    return json.dumps(value)


def build_filter(query: StreamQuery) -> str:
    """Build the filter expression: status, category and start-time range, joined by AND."""
    statuses = ", ".join(_quote(status) for status in SEARCHABLE_STATUSES[query.status])
    parts = [f"status IN [{statuses}]"]
    if query.category_id is not None:
        parts.append(f"category_id = {_quote(str(query.category_id))}")
    if query.started_after is not None:
        parts.append(f"started_at_ts >= {query.started_after.timestamp()!r}")
    if query.started_before is not None:
        parts.append(f"started_at_ts <= {query.started_before.timestamp()!r}")
    return " AND ".join(parts)


class MeilisearchBackend:
    """Search on Meilisearch; ``terms`` supplies popular and trending terms and popularity."""

    name = "meilisearch"

    def __init__(
        self, client: MeilisearchClient, prefix: str, terms: PostgresSearch
    ) -> None:
        self.client = client
        self.prefix = prefix
        self._postgres = terms

    def uid(self, kind: IndexKind) -> str:
        return index_uid(self.prefix, kind)

    async def apply_settings(self) -> None:
        """Create the three indexes if missing and apply their settings."""
        for kind in INDEX_KINDS:
            await self.client.ensure_index(self.uid(kind))
            await self.client.update_settings(self.uid(kind), INDEX_SETTINGS[kind])
        logger.info("meilisearch settings applied prefix=%s", self.prefix)

    async def search_streams(self, query: StreamQuery) -> SearchHits:
        words = search_words(query.text)
        if not words:
            return SearchHits(ids=[], total=0)
        body = {
            "q": words,
            "filter": build_filter(query),
            "offset": query.offset,
            "limit": query.per_page,
            "attributesToRetrieve": ["id"],
            "matchingStrategy": "all",
        }
        result = await self.client.search(self.uid("streams"), body)
        ids = [UUID(hit["id"]) for hit in result.get("hits", [])]
        total = int(result.get("estimatedTotalHits", len(ids)))
        return SearchHits(ids=ids, total=total)

    async def suggest(self, text: str, limit: int) -> list[Suggestion]:
        text = text.replace("\x00", "")
        if not any(char.isalnum() for char in text):
            return []
        candidates: list[SuggestionCandidate] = []
        fetch = max(limit * 3, 10)
        streams = await self.client.search(
            self.uid("streams"),
            {
                "q": text,
                "filter": 'status = "live"',
                "sort": ["viewer_count:desc"],
                "limit": fetch,
                "attributesToRetrieve": ["id", "title"],
            },
        )
        candidates += [
            SuggestionCandidate("stream", UUID(hit["id"]), hit["title"])
            for hit in streams["hits"]
        ]
        streamers = await self.client.search(
            self.uid("streamers"),
            {"q": text, "limit": fetch, "attributesToRetrieve": ["id", "username"]},
        )
        candidates += [
            SuggestionCandidate("streamer", UUID(hit["id"]), hit["username"])
            for hit in streamers["hits"]
        ]
        categories = await self.client.search(
            self.uid("categories"),
            {"q": text, "limit": fetch, "attributesToRetrieve": ["id", "name"]},
        )
        candidates += [
            SuggestionCandidate("category", UUID(hit["id"]), hit["name"])
            for hit in categories["hits"]
        ]
        scores = await self._postgres.popularity(candidates)
        return rank_suggestions(text, candidates, scores, limit)

    async def popular_terms(self, limit: int) -> list[SearchTerm]:
        return await self._postgres.popular_terms(limit)

    async def trending_terms(self, hours: int, limit: int) -> list[SearchTerm]:
        return await self._postgres.trending_terms(hours, limit)

    async def index_documents(
        self, kind: IndexKind, documents: Sequence[Document]
    ) -> None:
        await self.client.add_documents(self.uid(kind), list(documents))

    async def delete_documents(self, kind: IndexKind, ids: Sequence[str]) -> None:
        await self.client.delete_documents(self.uid(kind), list(ids))


def search_words(text: str) -> str:
    """Reduce user text to its words without stop words, as the ``q`` sent to Meilisearch.

    How Meilisearch matches stop words in a query has changed between
    versions, while PostgreSQL's English configuration always drops them, so
    they are removed here. A trailing space is kept because it marks the last word
    as complete for Meilisearch, not a prefix. Quotes and
    ``-word`` exclusions are dropped, so phrase search and negation work only
    on the PostgreSQL backend.
    """
    words = [word for word in tokenize(text) if word not in STOP_WORDS]
    query = " ".join(words)
    if words and text[-1:].isspace():
        query += " "
    return query
