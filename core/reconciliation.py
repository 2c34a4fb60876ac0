"""Reconciliation: end live streams whose encoder Cloudflare reports gone for good.

A lost ``live_input.disconnected`` notification would leave a stream live
forever. The reconciliation job calls Cloudflare's lifecycle endpoint for
every live stream:

- input live: ``last_signal_at`` moves to now, because the encoder is
  connected;
- input not live, or gone at Cloudflare (deleted, or forgotten by a
  restarted emulator), and the last signal is older than the reconnect
  window: the stream ends with reason ``reconciled``;
- input not live within the window, or the lifecycle call failed: nothing
  changes; the next run looks again.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import sqlalchemy as sa

from core.cloudflare import CloudflareError, CloudflareStream, LiveInputNotFound
from core.db import Database
from core.events import EventSink
from core.streams.lifecycle import end_stream
from core.streams.queries import lock_stream
from core.tables import streams

logger = logging.getLogger(__name__)

END_REASON = "reconciled"


@dataclass(frozen=True)
class ReconciliationReport:
    checked: int
    confirmed_live: int
    ended: int
    failed: int


async def _is_live(
    cloudflare: CloudflareStream, stream_id: UUID, uid: str
) -> bool | None:
    try:
        lifecycle = await cloudflare.get_lifecycle(uid)
    except LiveInputNotFound:
        # No input, so no encoder can be connected to it.
        logger.warning(
            "live input of a live stream not found stream_id=%s live_input_uid=%s",
            stream_id,
            uid,
        )
        return False
    except CloudflareError as error:
        logger.warning(
            "lifecycle check failed stream_id=%s live_input_uid=%s error=%s",
            stream_id,
            uid,
            error,
        )
        return None
    return lifecycle.live


async def reconcile_live_streams(
    db: Database,
    cloudflare: CloudflareStream,
    events: EventSink,
    *,
    now: datetime,
    window_seconds: float,
    concurrency: int,
    batch_size: int = 500,
) -> ReconciliationReport:
    """Check every live stream at Cloudflare and end the ones lost past the window.

    Events of the streams it ends are published to ``events`` after each commit.
    """
    semaphore = asyncio.Semaphore(concurrency)
    cutoff = now - timedelta(seconds=window_seconds)
    checked = confirmed = ended = failed = 0
    after: UUID | None = None

    async def check(row: dict) -> bool | None:
        async with semaphore:
            return await _is_live(cloudflare, row["id"], row["live_input_uid"])

    while True:
        query = (
            sa.select(
                streams.c.id,
                streams.c.live_input_uid,
                streams.c.started_at,
                streams.c.last_signal_at,
            )
            .where(streams.c.status == "live")
            .order_by(streams.c.id)
            .limit(batch_size)
        )
        if after is not None:
            query = query.where(streams.c.id > after)
        rows = await db.fetch_all(query)
        if not rows:
            break
        after = rows[-1]["id"]

        states = await asyncio.gather(*(check(row) for row in rows))
        checked += len(rows)
        live_ids = [row["id"] for row, live in zip(rows, states, strict=True) if live]
        failed += sum(1 for live in states if live is None)
        if live_ids:
            confirmed += len(live_ids)
            await db.execute(
                streams.update()
                .where(streams.c.id.in_(live_ids), streams.c.status == "live")
                .values(
                    last_signal_at=sa.func.greatest(
                        sa.func.coalesce(streams.c.last_signal_at, now), now
                    )
                )
            )
        for row, live in zip(rows, states, strict=True):
            if live is False and await _end_if_lost(db, events, row["id"], now, cutoff):
                ended += 1

    if ended or failed:
        logger.info(
            "reconciliation done checked=%s confirmed_live=%s ended=%s failed=%s",
            checked,
            confirmed,
            ended,
            failed,
        )
    return ReconciliationReport(
        checked=checked, confirmed_live=confirmed, ended=ended, failed=failed
    )


async def _end_if_lost(
    db: Database, events: EventSink, stream_id: UUID, now: datetime, cutoff: datetime
) -> bool:
    async with db.transaction() as conn:
        row = await lock_stream(conn, stream_id)
        if row is None or row["status"] != "live":
            return False
        # A signal newer than the cutoff (a reconnect, or a stream that just
        # started) gives the encoder the rest of its window.
        last_signal = row["last_signal_at"] or row["started_at"]
        if last_signal is not None and last_signal > cutoff:
            return False
        transition = await end_stream(conn, stream_id, now, END_REASON)
    logger.warning(
        "live stream ended by reconciliation: Cloudflare reports its input "
        "disconnected stream_id=%s last_signal_at=%s",
        stream_id,
        last_signal,
    )
    for event in transition.events():
        await events.publish(event)
    return transition.status_changed
