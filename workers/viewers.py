"""Viewer-count sampling actors: one dispatch per interval, one message per batch."""

from __future__ import annotations

import logging
from datetime import datetime
from uuid import UUID

import dramatiq

from core.viewers import live_stream_ids, sample_streams
from workers.metrics import count_viewer_read_failures
from workers.resources import get_resources
from workers.sending import enqueue

logger = logging.getLogger(__name__)


@dramatiq.actor(queue_name="viewers", max_retries=3)
async def sample_viewer_counts(tick_at: str) -> None:
    """Split the live streams into batches and enqueue one sampling message each.

    Every batch of a tick records its samples at ``tick_at``, so a batch
    delivered twice inserts nothing the second time. Batch messages expire
    after one sampling interval: a late batch would only repeat the next one.
    """
    resources = get_resources()
    settings = resources.settings
    batch_size = settings.viewer_sample_batch_size
    max_age_ms = int(settings.viewer_sample_interval_seconds * 1000)

    messages = []
    after: UUID | None = None
    while True:
        ids = await live_stream_ids(resources.db, after=after, limit=batch_size)
        if not ids:
            break
        messages.append(
            sample_viewer_batch.message_with_options(
                args=([str(stream_id) for stream_id in ids], tick_at),
                max_age=max_age_ms,
            )
        )
        after = ids[-1]
        if len(ids) < batch_size:
            break
    await enqueue(sample_viewer_batch.broker, messages)
    logger.debug(
        "viewer sampling dispatched tick_at=%s batches=%s", tick_at, len(messages)
    )


@dramatiq.actor(queue_name="viewers", max_retries=3)
async def sample_viewer_batch(stream_ids: list[str], tick_at: str) -> None:
    """Read and record the viewer counts of one batch of live streams."""
    resources = get_resources()
    report = await sample_streams(
        resources.db,
        resources.cloudflare,
        [UUID(stream_id) for stream_id in stream_ids],
        sampled_at=datetime.fromisoformat(tick_at),
        concurrency=resources.settings.viewer_sample_concurrency,
    )
    count_viewer_read_failures(report.failed)
    if report.failed:
        logger.warning(
            "viewer count reads failed; those streams keep their last count "
            "tick_at=%s failed=%s of=%s",
            tick_at,
            report.failed,
            report.requested,
        )
    logger.debug(
        "viewer batch sampled tick_at=%s recorded=%s held=%s",
        tick_at,
        report.recorded,
        report.held,
    )
