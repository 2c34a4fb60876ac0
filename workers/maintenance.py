"""Maintenance actors: stream end checks, reconciliation, retention, deletion retries."""

from __future__ import annotations

import logging
from datetime import timedelta
from uuid import UUID

import dramatiq

from core.clock import utc_now
from core.expiry import delete_expired_idempotency_keys
from core.idempotency import KEY_RETENTION
from core.reconciliation import reconcile_live_streams as reconcile
from core.streams.deletions import process_pending_deletions
from core.streams.reconnect import (
    ReconnectOutcome,
    confirm_ended_after_reconnect_window,
)
from core.trending import remove_from_rankings
from core.viewers import delete_expired_samples
from workers.resources import get_resources
from workers.sending import enqueue

logger = logging.getLogger(__name__)

#: Live input deletions retried per run; the rest wait for the next run.
DELETIONS_PER_RUN = 100
#: Added to a reconnect-window delay so the window has surely passed.
END_CHECK_MARGIN_MS = 1_000


def _event_sink():
    # Imported here: workers.events imports this module's actors.
    from workers.events import DramatiqEventSink

    resources = get_resources()
    return DramatiqEventSink(check_stream_end.broker, resources.settings)


@dramatiq.actor(queue_name="maintenance", max_retries=10)
async def check_stream_end(stream_id: str) -> None:
    """End a disconnected stream whose reconnect window passed without a reconnect.

    When the window is still open (the encoder disconnected again since the
    message was sent), the check is sent again for the rest of the window.
    """
    resources = get_resources()
    result = await confirm_ended_after_reconnect_window(
        resources.db,
        resources.cloudflare,
        UUID(stream_id),
        window_seconds=resources.settings.stream_reconnect_window_seconds,
        events=_event_sink(),
    )
    if result.outcome is ReconnectOutcome.WINDOW_OPEN:
        delay_ms = int(result.retry_after_seconds * 1000) + END_CHECK_MARGIN_MS
        await enqueue(
            check_stream_end.broker,
            [check_stream_end.message(stream_id)],
            delay_ms=delay_ms,
        )
    logger.info(
        "stream end check stream_id=%s outcome=%s", stream_id, result.outcome.value
    )


@dramatiq.actor(queue_name="maintenance", max_retries=3)
async def reconcile_live_streams(tick_at: str) -> None:
    """End live streams that Cloudflare reports disconnected past the reconnect window."""
    resources = get_resources()
    await reconcile(
        resources.db,
        resources.cloudflare,
        _event_sink(),
        now=utc_now(),
        window_seconds=resources.settings.stream_reconnect_window_seconds,
        concurrency=resources.settings.viewer_sample_concurrency,
    )


@dramatiq.actor(queue_name="maintenance", max_retries=3)
async def apply_retention(tick_at: str) -> None:
    """Delete viewer samples and idempotency keys older than their retention."""
    resources = get_resources()
    now = utc_now()
    samples = await delete_expired_samples(
        resources.db,
        older_than=now
        - timedelta(days=resources.settings.viewer_sample_retention_days),
    )
    keys = await delete_expired_idempotency_keys(
        resources.db, created_before=now - KEY_RETENTION
    )
    logger.info(
        "retention applied tick_at=%s viewer_samples=%s idempotency_keys=%s",
        tick_at,
        samples,
        keys,
    )


@dramatiq.actor(queue_name="maintenance", max_retries=3)
async def retry_live_input_deletions(tick_at: str | None = None) -> None:
    """Retry the due Cloudflare live input deletions that failed earlier."""
    resources = get_resources()
    run = await process_pending_deletions(
        resources.db, resources.cloudflare, limit=DELETIONS_PER_RUN
    )
    if run.deleted or run.failed:
        logger.info(
            "live input deletions retried deleted=%s failed=%s", run.deleted, run.failed
        )


@dramatiq.actor(queue_name="maintenance", max_retries=10)
async def stream_ended(stream_id: str) -> None:
    """Drop an ended stream from the trending and rising rankings right away.

    The next recomputation would drop it too; this keeps the rankings from
    listing it until then.
    """
    resources = get_resources()
    removed = await remove_from_rankings(
        resources.redis, resources.settings, UUID(stream_id)
    )
    logger.debug(
        "ended stream removed from rankings stream_id=%s keys=%s", stream_id, removed
    )
