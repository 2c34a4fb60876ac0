"""The PostgreSQL full-text backend, the default when Meilisearch is not configured.

Streams carry a ``search_vector`` kept current by triggers (migration 0004)
and indexed with GIN. Results are ordered live first, then by ``ts_rank_cd``
with the default weights (A 1.0, B 0.4, C 0.2, D 0.1), then by start time
(creation time for streams never started), newest first. Suggestions use
trigram indexes for input of three or more characters and left-anchored
``text_pattern_ops`` indexes for shorter input.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, func, or_, select

from core.clock import utc_now
from core.db import Database
from core.tables import categories, streams, users
from search_index.interfaces import (
    MAX_SEARCH_WINDOW,
    SEARCHABLE_STATUSES,
    SearchHits,
    SearchTerm,
    StreamQuery,
    Suggestion,
)
from search_index.suggestions import SuggestionCandidate, rank_suggestions
from search_index.terms import rank_terms
from search_index.tsquery import build_tsquery, has_search_words, strip_nul

#: Live streams (by viewers) whose titles feed popular terms.
POPULAR_STREAM_SAMPLE = 500
#: Categories (by live viewers) whose names feed popular terms.
POPULAR_CATEGORY_SAMPLE = 50
#: Most recent starts whose titles feed trending terms.
TRENDING_STREAM_SAMPLE = 2000
#: Trigrams need three characters; shorter input uses prefix indexes.
TRIGRAM_MIN_LENGTH = 3


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def text_match(text: str) -> ColumnElement[bool]:
    """Return a condition matching streams whose ``search_vector`` matches user ``text``.

    Any text is safe here, and the condition uses the GIN index on
    ``search_vector``. It matches the title, the description and the
    streamer's username and display name, with prefix matching on the last
    word. Stream listings may filter with it and order as they like.
    """
    return streams.c.search_vector.op("@@")(build_tsquery(strip_nul(text)))


class PostgresSearch:
    """Stream search, suggestions and search terms on PostgreSQL."""

    name = "postgres"

    def __init__(self, db: Database) -> None:
        self.db = db

    async def search_streams(self, query: StreamQuery) -> SearchHits:
        text = strip_nul(query.text)
        if not has_search_words(text):
            return SearchHits(ids=[], total=0)
        tsquery = build_tsquery(text)
        conditions = [
            streams.c.search_vector.op("@@")(tsquery),
            streams.c.status.in_(SEARCHABLE_STATUSES[query.status]),
        ]
        if query.category_id is not None:
            conditions.append(streams.c.category_id == query.category_id)
        if query.started_after is not None:
            conditions.append(streams.c.started_at >= query.started_after)
        if query.started_before is not None:
            conditions.append(streams.c.started_at <= query.started_before)

        # NOTE: ts_rank_cd reads the vector of every matching row before the
        # sort, so latency grows with the match count: on 1,000,000 streams
        # ops/bench/search.py measured a p50 of 128 ms at 10,000 matches and
        # 609 ms at 200,000 (docs/benchmarks.md). Common words need a bounded plan.
        rank = func.ts_rank_cd(streams.c.search_vector, tsquery)
        page = (
            select(streams.c.id)
            .where(*conditions)
            .order_by(
                (streams.c.status == "live").desc(),
                rank.desc(),
                func.coalesce(streams.c.started_at, streams.c.created_at).desc(),
                streams.c.id,
            )
            .limit(query.per_page)
            .offset(query.offset)
        )
        rows = await self.db.fetch_all(page)
        ids = [row["id"] for row in rows]

        # Counting stops at the deepest reachable result, like Meilisearch's
        # maxTotalHits, so a common word does not count every matching row.
        capped = (
            select(streams.c.id).where(*conditions).limit(MAX_SEARCH_WINDOW).subquery()
        )
        total = await self.db.fetch_value(select(func.count()).select_from(capped))
        return SearchHits(ids=ids, total=int(total or 0))

    async def suggest(self, text: str, limit: int) -> list[Suggestion]:
        text = strip_nul(text).strip()
        if not has_search_words(text):
            return []
        fetch = max(limit * 3, 10)
        escaped = _like_escape(text)
        if len(text) >= TRIGRAM_MIN_LENGTH:
            pattern = f"%{escaped}%"

            def matches(column: Any) -> ColumnElement[bool]:
                return column.ilike(pattern, escape="\\")

        else:
            pattern = f"{_like_escape(text.lower())}%"

            def matches(column: Any) -> ColumnElement[bool]:
                return func.lower(column).like(pattern, escape="\\")

        stream_rows = await self.db.fetch_all(
            select(streams.c.id, streams.c.title)
            .where(streams.c.status == "live", matches(streams.c.title))
            .order_by(streams.c.viewer_count.desc(), streams.c.id)
            .limit(fetch)
        )
        user_rows = await self.db.fetch_all(
            select(users.c.id, users.c.username)
            .where(or_(matches(users.c.username), matches(users.c.display_name)))
            .order_by(users.c.follower_count.desc(), users.c.id)
            .limit(fetch)
        )
        category_rows = await self.db.fetch_all(
            select(categories.c.id, categories.c.name)
            .where(matches(categories.c.name))
            .limit(fetch * 4)
        )
        candidates = [
            SuggestionCandidate("stream", row["id"], row["title"])
            for row in stream_rows
        ]
        candidates += [
            SuggestionCandidate("streamer", row["id"], row["username"])
            for row in user_rows
        ]
        candidates += [
            SuggestionCandidate("category", row["id"], row["name"])
            for row in category_rows
        ]
        return rank_suggestions(
            text, candidates, await self.popularity(candidates), limit
        )

    async def popularity(
        self, candidates: Sequence[SuggestionCandidate]
    ) -> dict[tuple[str, UUID], float]:
        """Read current popularity: live viewers, followers, or live viewers per category."""
        ids: dict[str, list[UUID]] = {"stream": [], "streamer": [], "category": []}
        for candidate in candidates:
            ids[candidate.kind].append(candidate.id)
        scores: dict[tuple[str, UUID], float] = {}
        if ids["stream"]:
            rows = await self.db.fetch_all(
                select(streams.c.id, streams.c.viewer_count, streams.c.status).where(
                    streams.c.id.in_(ids["stream"])
                )
            )
            for row in rows:
                live_viewers = row["viewer_count"] if row["status"] == "live" else 0
                scores[("stream", row["id"])] = float(live_viewers)
        if ids["streamer"]:
            rows = await self.db.fetch_all(
                select(users.c.id, users.c.follower_count).where(
                    users.c.id.in_(ids["streamer"])
                )
            )
            for row in rows:
                scores[("streamer", row["id"])] = float(row["follower_count"])
        if ids["category"]:
            rows = await self.db.fetch_all(
                select(
                    streams.c.category_id,
                    func.sum(streams.c.viewer_count).label("viewers"),
                )
                .where(
                    streams.c.category_id.in_(ids["category"]),
                    streams.c.status == "live",
                )
                .group_by(streams.c.category_id)
            )
            for row in rows:
                scores[("category", row["category_id"])] = float(row["viewers"] or 0)
        return scores

    async def popular_terms(self, limit: int) -> list[SearchTerm]:
        """Rank terms of live titles weighted by viewers + 1, and category names by live viewers."""
        titles = await self.db.fetch_all(
            select(streams.c.title, streams.c.viewer_count)
            .where(streams.c.status == "live")
            .order_by(streams.c.viewer_count.desc(), streams.c.id)
            .limit(POPULAR_STREAM_SAMPLE)
        )
        live_viewers = func.sum(streams.c.viewer_count)
        names = await self.db.fetch_all(
            select(
                categories.c.name,
                live_viewers.label("viewers"),
                func.count().label("live_streams"),
            )
            .select_from(
                streams.join(categories, categories.c.id == streams.c.category_id)
            )
            .where(streams.c.status == "live")
            .group_by(categories.c.id, categories.c.name)
            .order_by(live_viewers.desc(), categories.c.name)
            .limit(POPULAR_CATEGORY_SAMPLE)
        )
        ranked = rank_terms(
            ((row["title"], row["viewer_count"] + 1.0) for row in titles),
            (
                (row["name"], float(row["viewers"] or 0) + row["live_streams"])
                for row in names
            ),
            limit=limit,
        )
        return [
            SearchTerm(term, round(score, 3), sources)
            for term, score, sources in ranked
        ]

    async def trending_terms(self, hours: int, limit: int) -> list[SearchTerm]:
        """Rank terms of titles started within ``hours``; each stream adds 1 + log10(1 + peak viewers)."""
        since = utc_now() - timedelta(hours=hours)
        rows = await self.db.fetch_all(
            select(streams.c.title, streams.c.peak_viewer_count)
            .where(
                and_(
                    streams.c.status.in_(SEARCHABLE_STATUSES["all"]),
                    streams.c.started_at >= since,
                )
            )
            .order_by(streams.c.started_at.desc())
            .limit(TRENDING_STREAM_SAMPLE)
        )
        ranked = rank_terms(
            (
                (row["title"], 1.0 + math.log10(1 + row["peak_viewer_count"]))
                for row in rows
            ),
            limit=limit,
        )
        return [
            SearchTerm(term, round(score, 3), sources)
            for term, score, sources in ranked
        ]
