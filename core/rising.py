"""Rising streamers: live newcomers ranked by the viewers they gained in 30 minutes.

A streamer is a newcomer while their ``users.total_stream_seconds`` (the
length of their ended streams) is below ``RISING_MAX_STREAM_HOURS`` (default
50 hours). Among newcomers who are live and gained viewers over the growth
window of :mod:`core.trending`, the rank is the number of viewers gained:
``viewers now - viewers 30 minutes ago``, the same growth base that trending
uses. Rankings are stored per scope (all, and per category) by the trending
job, so a request reads one sorted set.
"""

from __future__ import annotations

from collections.abc import Sequence

import redis.asyncio

from core.redis import redis_key
from core.settings import Settings
from core.trending import LiveStreamSnapshot, replace_rankings, scopes_of


def rising_key(settings: Settings, scope: str) -> str:
    return redis_key(settings, "rising", scope)


def rising_candidates(
    snapshots: Sequence[LiveStreamSnapshot], *, max_stream_hours: float
) -> list[LiveStreamSnapshot]:
    """Keep the live newcomers that gained viewers over the growth window."""
    limit_seconds = max_stream_hours * 3600
    return [
        snapshot
        for snapshot in snapshots
        if snapshot.total_stream_seconds < limit_seconds and snapshot.viewer_gain > 0
    ]


async def recompute_rising(
    redis_client: redis.asyncio.Redis,
    settings: Settings,
    snapshots: Sequence[LiveStreamSnapshot],
) -> int:
    """Rank the rising streams and store them; returns how many were ranked."""
    rankings: dict[str, dict[str, float]] = {rising_key(settings, "all"): {}}
    candidates = rising_candidates(
        snapshots, max_stream_hours=settings.rising_max_stream_hours
    )
    for snapshot in candidates:
        for scope in scopes_of(snapshot):
            rankings.setdefault(rising_key(settings, scope), {})[
                str(snapshot.stream_id)
            ] = float(snapshot.viewer_gain)
    await replace_rankings(
        redis_client,
        settings,
        name="rising",
        rankings=rankings,
        ttl_seconds=max(60, int(3 * settings.trending_interval_seconds)),
    )
    return len(candidates)
