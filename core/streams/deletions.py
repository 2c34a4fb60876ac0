"""Deleting Cloudflare live inputs, with a retry queue for when Cloudflare fails.

A stream is deleted from the database even when Cloudflare is down; its live
input uid then goes into ``live_input_deletions`` and a worker calls
:func:`process_pending_deletions` until Cloudflare confirms the deletion.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from core.clock import utc_now
from core.cloudflare import CloudflareError, CloudflareStream, LiveInputNotFound
from core.db import Connection, Database
from core.events import EventSink, LiveInputDeletionQueued
from core.tables import live_input_deletions

logger = logging.getLogger(__name__)

#: A claimed row is hidden from other workers for this long while it is retried.
CLAIM_LEASE = timedelta(minutes=5)
#: Retry delays double from the first to the maximum.
FIRST_RETRY_DELAY = timedelta(seconds=30)
MAX_RETRY_DELAY = timedelta(hours=1)


@dataclass(frozen=True)
class DeletionRun:
    deleted: int
    failed: int


def retry_delay(attempts: int) -> timedelta:
    """Return the wait before the next try after ``attempts`` failed tries."""
    exponent = max(0, min(attempts - 1, 16))
    return min(FIRST_RETRY_DELAY * (2**exponent), MAX_RETRY_DELAY)


async def queue_live_input_deletion(
    conn: Connection | Database, live_input_uid: str, error: Exception
) -> None:
    """Insert ``live_input_uid`` into the retry queue. A second insert is a no-op."""
    await conn.execute(
        pg_insert(live_input_deletions)
        .values(live_input_uid=live_input_uid, attempts=1, last_error=str(error)[:1000])
        .on_conflict_do_nothing(index_elements=["live_input_uid"])
    )


async def try_delete_live_input(
    cloudflare: CloudflareStream, live_input_uid: str
) -> Exception | None:
    """Delete the live input at Cloudflare and return the error if Cloudflare failed.

    A live input that is already gone counts as deleted.
    """
    try:
        await cloudflare.delete_live_input(live_input_uid)
    except LiveInputNotFound:
        logger.info("live input already deleted live_input_uid=%s", live_input_uid)
    except CloudflareError as error:
        logger.warning(
            "live input deletion failed live_input_uid=%s error=%s",
            live_input_uid,
            error,
        )
        return error
    return None


async def delete_or_queue_live_input(
    db: Database, cloudflare: CloudflareStream, events: EventSink, live_input_uid: str
) -> None:
    """Delete the live input now, or queue its deletion and publish an event.

    Used where no stream row refers to the input any more, for example after a
    failed insert. Errors of the queue insert are logged, not raised, so the
    caller's own error is the one that propagates.
    """
    error = await try_delete_live_input(cloudflare, live_input_uid)
    if error is None:
        return
    try:
        await queue_live_input_deletion(db, live_input_uid, error)
    except Exception:
        logger.exception(
            "failed to queue the live input deletion, delete it by hand "
            "live_input_uid=%s",
            live_input_uid,
        )
        return
    await events.publish(LiveInputDeletionQueued(live_input_uid=live_input_uid))


async def process_pending_deletions(
    db: Database, cloudflare: CloudflareStream, limit: int
) -> DeletionRun:
    """Retry up to ``limit`` due deletions. Several workers may run this at once.

    Due rows are claimed with ``FOR UPDATE SKIP LOCKED`` and pushed back by
    :data:`CLAIM_LEASE`, so Cloudflare is called outside any transaction and no
    two workers retry the same input. A success removes the row; a failure
    stores the error and schedules the next try with exponential backoff.
    """
    now = utc_now()
    due = (
        sa.select(live_input_deletions.c.live_input_uid)
        .where(live_input_deletions.c.next_attempt_at <= now)
        .order_by(live_input_deletions.c.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    async with db.transaction() as conn:
        claimed = await conn.fetch_all(
            live_input_deletions.update()
            .where(live_input_deletions.c.live_input_uid.in_(due))
            .values(next_attempt_at=now + CLAIM_LEASE)
            .returning(
                live_input_deletions.c.live_input_uid, live_input_deletions.c.attempts
            )
        )

    deleted = failed = 0
    for row in claimed:
        uid = row["live_input_uid"]
        error = await try_delete_live_input(cloudflare, uid)
        if error is None:
            await db.execute(
                live_input_deletions.delete().where(
                    live_input_deletions.c.live_input_uid == uid
                )
            )
            logger.info("queued live input deletion done live_input_uid=%s", uid)
            deleted += 1
            continue

        attempts = row["attempts"] + 1
        await db.execute(
            live_input_deletions.update()
            .where(live_input_deletions.c.live_input_uid == uid)
            .values(
                attempts=attempts,
                last_error=str(error)[:1000],
                next_attempt_at=utc_now() + retry_delay(attempts),
            )
        )
        failed += 1
    return DeletionRun(deleted=deleted, failed=failed)
