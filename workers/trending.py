"""The actor that recomputes the trending and rising rankings."""

from __future__ import annotations

import logging
from datetime import datetime

import dramatiq

from core.rising import recompute_rising
from core.trending import chat_message_counts, load_live_snapshots, recompute_trending
from workers.resources import get_resources

logger = logging.getLogger(__name__)


@dramatiq.actor(queue_name="trending", max_retries=2)
async def recompute_rankings(tick_at: str) -> None:
    """Score every live stream as of ``tick_at`` and replace both rankings.

    Each run replaces the whole ranking, so a repeated message writes the
    same sets again.
    """
    resources = get_resources()
    now = datetime.fromisoformat(tick_at)
    chat_counts = await chat_message_counts(
        resources.redis, resources.settings, now=now
    )
    snapshots = await load_live_snapshots(resources.db, chat_counts, now=now)
    ranked = await recompute_trending(
        resources.db, resources.redis, resources.settings, snapshots, now=now
    )
    rising = await recompute_rising(resources.redis, resources.settings, snapshots)
    logger.info(
        "rankings recomputed tick_at=%s trending=%s rising=%s", tick_at, ranked, rising
    )
