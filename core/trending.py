"""Trending live streams: the score, its inputs, and the Redis sorted sets that rank them.

For each live stream ``i``, with every maximum taken over all live streams::

    V_i = ln(1 + viewers_i) / ln(1 + max viewers)
    G_i = g_i / max g,   g_i = max(0, ln(1 + viewers_i) - ln(1 + viewers_i_30min_ago))
    F_i = max(0, 1 - (now - started_at_i) / time_window)
    C_i = chat_i / max chat,   chat_i = chat messages in the last 10 minutes

    trending_score_i = 100 * (0.4 V_i + 0.3 G_i + 0.2 F_i + 0.1 C_i)

A component whose maximum is 0 is 0 for every stream. ``viewers_i_30min_ago``
is the stream's earliest viewer sample in the last 30 minutes, or 0 when the
stream started within those 30 minutes, or the current count when no sample
exists (no growth). ``g`` is the growth of ``ln(1 + viewers)``, so doubling from
100 to 200 counts as much as from 1000 to 2000.

The periodic job computes the scores once for every ``time_window`` from 1 to
24 hours and stores them in one sorted set per window and scope: all live
streams, and the live streams of each category. Normalisation is always
against all live streams, so a stream has the same score in every scope.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import redis.asyncio
import sqlalchemy as sa

from core.db import Database
from core.redis import redis_key
from core.settings import Settings
from core.tables import streams, users, viewer_samples

VIEWERS_WEIGHT = 0.4
GROWTH_WEIGHT = 0.3
FRESHNESS_WEIGHT = 0.2
CHAT_WEIGHT = 0.1

#: How far back viewer growth is measured.
GROWTH_WINDOW = timedelta(minutes=30)
#: How far back chat messages count towards engagement.
CHAT_WINDOW_MINUTES = 10
#: The ``time_window`` values, in hours, that the endpoint accepts.
TIME_WINDOW_HOURS = range(1, 25)


@dataclass(frozen=True)
class LiveStreamSnapshot:
    """The inputs of the trending and rising rankings for one live stream."""

    stream_id: UUID
    user_id: UUID
    category_id: UUID | None
    started_at: datetime | None
    viewer_count: int
    viewers_growth_base: int
    chat_messages: int
    total_stream_seconds: int

    @property
    def viewer_gain(self) -> int:
        """Viewers gained over the growth window (negative when it lost viewers)."""
        return self.viewer_count - self.viewers_growth_base


def _log_growth(snapshot: LiveStreamSnapshot) -> float:
    return max(
        0.0,
        math.log1p(snapshot.viewer_count) - math.log1p(snapshot.viewers_growth_base),
    )


def _ratio(value: float, maximum: float) -> float:
    return value / maximum if maximum > 0 else 0.0


def trending_scores(
    snapshots: Sequence[LiveStreamSnapshot], *, now: datetime, time_window: timedelta
) -> dict[UUID, float]:
    """Compute every stream's trending score (0 to 100) with the module's formula."""
    max_log_viewers = max((math.log1p(s.viewer_count) for s in snapshots), default=0.0)
    max_growth = max((_log_growth(s) for s in snapshots), default=0.0)
    max_chat = max((s.chat_messages for s in snapshots), default=0)
    window_seconds = time_window.total_seconds()

    scores: dict[UUID, float] = {}
    for snapshot in snapshots:
        viewers = _ratio(math.log1p(snapshot.viewer_count), max_log_viewers)
        growth = _ratio(_log_growth(snapshot), max_growth)
        if snapshot.started_at is None:
            freshness = 0.0
        else:
            age = (now - snapshot.started_at).total_seconds()
            freshness = min(1.0, max(0.0, 1.0 - age / window_seconds))
        chat = _ratio(snapshot.chat_messages, max_chat)
        scores[snapshot.stream_id] = 100.0 * (
            VIEWERS_WEIGHT * viewers
            + GROWTH_WEIGHT * growth
            + FRESHNESS_WEIGHT * freshness
            + CHAT_WEIGHT * chat
        )
    return scores


# Chat activity ------------------------------------------------------------


def _chat_bucket_key(settings: Settings, minute: int) -> str:
    return redis_key(settings, "chat_activity", minute)


async def record_chat_activity(
    redis_client: redis.asyncio.Redis, settings: Settings, stream_id: UUID, at: datetime
) -> None:
    """Count one chat message on ``stream_id`` sent at ``at``.

    Messages are counted per minute in one hash per minute (field = stream
    id), which expires once it is older than the engagement window.
    """
    key = _chat_bucket_key(settings, int(at.timestamp()) // 60)
    async with redis_client.pipeline(transaction=False) as pipe:
        pipe.hincrby(key, str(stream_id), 1)
        pipe.expire(key, (CHAT_WINDOW_MINUTES + 2) * 60)
        await pipe.execute()


async def chat_message_counts(
    redis_client: redis.asyncio.Redis, settings: Settings, *, now: datetime
) -> dict[UUID, int]:
    """Return chat messages per stream over the last ``CHAT_WINDOW_MINUTES`` minutes."""
    current = int(now.timestamp()) // 60
    async with redis_client.pipeline(transaction=False) as pipe:
        for minute in range(current - CHAT_WINDOW_MINUTES + 1, current + 1):
            pipe.hgetall(_chat_bucket_key(settings, minute))
        buckets = await pipe.execute()
    counts: dict[UUID, int] = {}
    for bucket in buckets:
        for stream_id, count in bucket.items():
            key = UUID(stream_id)
            counts[key] = counts.get(key, 0) + int(count)
    return counts


# Snapshot -----------------------------------------------------------------


async def load_live_snapshots(
    db: Database, chat_counts: Mapping[UUID, int], *, now: datetime
) -> list[LiveStreamSnapshot]:
    """Read every live stream with its growth base and its streamer's total hours."""
    since = now - GROWTH_WINDOW
    earliest_sample = (
        sa.select(viewer_samples.c.viewer_count)
        .where(
            viewer_samples.c.stream_id == streams.c.id,
            viewer_samples.c.sampled_at >= since,
        )
        .order_by(viewer_samples.c.sampled_at)
        .limit(1)
        .scalar_subquery()
    )
    growth_base = sa.case(
        (streams.c.started_at >= since, 0),
        else_=sa.func.coalesce(earliest_sample, streams.c.viewer_count),
    )
    rows = await db.fetch_all(
        sa.select(
            streams.c.id,
            streams.c.user_id,
            streams.c.category_id,
            streams.c.started_at,
            streams.c.viewer_count,
            growth_base.label("growth_base"),
            users.c.total_stream_seconds,
        )
        .join_from(streams, users, users.c.id == streams.c.user_id)
        .where(streams.c.status == "live")
    )
    return [
        LiveStreamSnapshot(
            stream_id=row["id"],
            user_id=row["user_id"],
            category_id=row["category_id"],
            started_at=row["started_at"],
            viewer_count=row["viewer_count"],
            viewers_growth_base=row["growth_base"],
            chat_messages=chat_counts.get(row["id"], 0),
            total_stream_seconds=row["total_stream_seconds"],
        )
        for row in rows
    ]


# Ranking storage ----------------------------------------------------------

ALL_SCOPE = "all"


def category_scope(category_id: UUID) -> str:
    return f"category:{category_id}"


def scope_for(category_id: UUID | None) -> str:
    """Name the ranking scope of a request: all streams or one category."""
    return ALL_SCOPE if category_id is None else category_scope(category_id)


def trending_key(settings: Settings, hours: int, scope: str) -> str:
    return redis_key(settings, "trending", f"{hours}h", scope)


def scopes_of(snapshot: LiveStreamSnapshot) -> list[str]:
    scopes = [ALL_SCOPE]
    if snapshot.category_id is not None:
        scopes.append(category_scope(snapshot.category_id))
    return scopes


async def replace_rankings(
    redis_client: redis.asyncio.Redis,
    settings: Settings,
    *,
    name: str,
    rankings: Mapping[str, Mapping[str, float]],
    ttl_seconds: int,
) -> None:
    """Replace every sorted set of the ranking ``name`` in one atomic step.

    ``rankings`` maps each Redis key to its members and scores. Each set is
    written under a staging key, then a MULTI block renames all of them into
    place and deletes the keys of the previous run that this run no longer
    has, so readers never see a half-written ranking.
    """
    index_key = redis_key(settings, name, "keys")
    previous = set(await redis_client.smembers(index_key))
    async with redis_client.pipeline(transaction=False) as pipe:
        for key, members in rankings.items():
            staging = f"{key}:staging"
            pipe.delete(staging)
            if members:
                pipe.zadd(staging, dict(members))
        await pipe.execute()

    async with redis_client.pipeline(transaction=True) as pipe:
        for key, members in rankings.items():
            if members:
                pipe.rename(f"{key}:staging", key)
                pipe.expire(key, ttl_seconds)
            else:
                pipe.delete(key)
        stale = previous - set(rankings)
        if stale:
            pipe.delete(*stale)
        pipe.delete(index_key)
        if rankings:
            pipe.sadd(index_key, *rankings)
            pipe.expire(index_key, ttl_seconds)
        await pipe.execute()


async def recompute_trending(
    db: Database,
    redis_client: redis.asyncio.Redis,
    settings: Settings,
    snapshots: Sequence[LiveStreamSnapshot],
    *,
    now: datetime,
) -> int:
    """Score every live stream for each time window and store the rankings.

    Returns the number of streams ranked.
    """
    rankings: dict[str, dict[str, float]] = {}
    for hours in TIME_WINDOW_HOURS:
        scores = trending_scores(snapshots, now=now, time_window=timedelta(hours=hours))
        for snapshot in snapshots:
            for scope in scopes_of(snapshot):
                key = trending_key(settings, hours, scope)
                rankings.setdefault(key, {})[str(snapshot.stream_id)] = scores[
                    snapshot.stream_id
                ]
    if not snapshots:
        # Keep the global keys present but empty, so stale rankings vanish.
        for hours in TIME_WINDOW_HOURS:
            rankings[trending_key(settings, hours, ALL_SCOPE)] = {}
    await replace_rankings(
        redis_client,
        settings,
        name="trending",
        rankings=rankings,
        ttl_seconds=_ranking_ttl(settings),
    )
    return len(snapshots)


def _ranking_ttl(settings: Settings) -> int:
    # Three missed recomputations and the ranking expires rather than go stale.
    return max(60, int(3 * settings.trending_interval_seconds))


async def remove_from_rankings(
    redis_client: redis.asyncio.Redis, settings: Settings, stream_id: UUID
) -> int:
    """Remove ``stream_id`` from every trending and rising set; returns sets changed."""
    keys: set[str] = set()
    for name in ("trending", "rising"):
        keys |= set(await redis_client.smembers(redis_key(settings, name, "keys")))
    if not keys:
        return 0
    async with redis_client.pipeline(transaction=False) as pipe:
        for key in sorted(keys):
            pipe.zrem(key, str(stream_id))
        removed = await pipe.execute()
    return sum(1 for count in removed if count)


async def read_ranking(
    redis_client: redis.asyncio.Redis, key: str, *, limit: int
) -> tuple[list[tuple[UUID, float]], int]:
    """Return the top ``limit`` members of ``key`` with scores, and the set's size."""
    async with redis_client.pipeline(transaction=False) as pipe:
        pipe.zrevrange(key, 0, limit - 1, withscores=True)
        pipe.zcard(key)
        members, total = await pipe.execute()
    return [(UUID(member), float(score)) for member, score in members], int(total)


def ranked_ids(ranking: Iterable[tuple[UUID, float]]) -> list[UUID]:
    return [stream_id for stream_id, _ in ranking]
