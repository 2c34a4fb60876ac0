"""Notification actors: go-live fan-out and new-follower notices."""

from __future__ import annotations

import logging
from datetime import datetime
from uuid import UUID

import dramatiq

from core.fanout import fan_out_live_notification
from core.fanout import notify_new_follower as insert_new_follower_notification
from workers.resources import get_resources

logger = logging.getLogger(__name__)


@dramatiq.actor(queue_name="notifications", max_retries=10)
async def notify_followers_of_live(stream_id: str) -> None:
    """Notify the followers of a stream's owner that the stream went live."""
    resources = get_resources()
    await fan_out_live_notification(
        resources.db,
        UUID(stream_id),
        batch_size=resources.settings.fanout_batch_size,
        parallelism=resources.settings.fanout_parallelism,
    )


@dramatiq.actor(queue_name="notifications", max_retries=10)
async def notify_new_follower(follower_id: str, followed_id: str, at: str) -> None:
    """Tell a user about a new follower; repeats on the same day insert nothing."""
    resources = get_resources()
    inserted = await insert_new_follower_notification(
        resources.db,
        follower_id=UUID(follower_id),
        followed_id=UUID(followed_id),
        at=datetime.fromisoformat(at),
    )
    logger.debug(
        "new-follower notification follower_id=%s followed_id=%s inserted=%s",
        follower_id,
        followed_id,
        inserted,
    )
