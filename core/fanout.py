"""Go-live and new-follower notifications, written server-side in bounded batches.

Go-live fan-out walks ``follows`` of the streamer in ``follower_id`` order
with a keyset cursor. Each batch is one ``INSERT ... SELECT`` statement, so no
follower row passes through Python and memory stays flat whatever the
follower count. Every notification carries a ``dedupe_key`` and the unique
index on ``(user_id, dedupe_key)`` turns a repeat into ``ON CONFLICT DO
NOTHING``:

- go-live: ``live:<stream_id>``. A redelivered message, or a stream that
  disconnects and reconnects within its reconnect window (same stream row),
  notifies each follower once.
- new follower: ``follow:<follower_id>:<UTC date of the follow>``. A
  redelivered message notifies once, and unfollowing and following again on
  the same day does not notify again.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert

from core.db import Database
from core.tables import follows, notifications, streams, users

logger = logging.getLogger(__name__)

_UUID_SPACE = 2**128


def live_dedupe_key(stream_id: UUID) -> str:
    return f"live:{stream_id}"


def follow_dedupe_key(follower_id: UUID, at: datetime) -> str:
    return f"follow:{follower_id}:{at.date().isoformat()}"


@dataclass(frozen=True)
class FanoutReport:
    """Outcome of one fan-out: follows scanned, rows inserted, statements run."""

    scanned: int
    inserted: int
    batches: int


def live_batch_statement(
    *,
    streamer_id: UUID,
    stream_id: UUID,
    cursor: UUID | None,
    end: UUID | None,
    batch_size: int,
    data: dict[str, str],
) -> sa.Select:
    """Build one fan-out batch: insert notifications for the next ``batch_size``
    followers in ``(cursor, end)`` and return ``(last_follower_id, scanned, inserted)``.

    A bound of None is open: the walk starts at the first follower or ends
    after the last one.
    """
    conditions = [follows.c.followed_id == streamer_id]
    if cursor is not None:
        conditions.append(
            follows.c.follower_id > sa.literal(cursor, PG_UUID(as_uuid=True))
        )
    if end is not None:
        conditions.append(
            follows.c.follower_id < sa.literal(end, PG_UUID(as_uuid=True))
        )
    batch = (
        sa.select(follows.c.follower_id, follows.c.notifications_enabled)
        .where(*conditions)
        .order_by(follows.c.follower_id)
        .limit(batch_size)
        .cte("batch")
    )
    inserted = (
        pg_insert(notifications)
        .from_select(
            ["user_id", "kind", "actor_id", "stream_id", "dedupe_key", "data"],
            sa.select(
                batch.c.follower_id,
                sa.literal("stream_live"),
                sa.literal(streamer_id, PG_UUID(as_uuid=True)),
                sa.literal(stream_id, PG_UUID(as_uuid=True)),
                sa.literal(live_dedupe_key(stream_id)),
                sa.literal(data, JSONB),
            ).where(batch.c.notifications_enabled),
        )
        .on_conflict_do_nothing()
        .returning(notifications.c.user_id)
        .cte("inserted")
    )
    last_follower = (
        sa.select(batch.c.follower_id)
        .order_by(batch.c.follower_id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return sa.select(
        last_follower.label("last_follower_id"),
        sa.select(sa.func.count())
        .select_from(batch)
        .scalar_subquery()
        .label("scanned"),
        sa.select(sa.func.count())
        .select_from(inserted)
        .scalar_subquery()
        .label("inserted"),
    )


def follower_ranges(parts: int) -> list[tuple[UUID | None, UUID | None]]:
    """Split the UUID space into ``parts`` ranges ``(after, before)`` of equal width.

    Follower ids come from ``gen_random_uuid()``, so each range holds about
    the same number of followers. The first range starts open and the last
    one ends open, so every id falls in exactly one range.
    """
    bounds = [UUID(int=index * _UUID_SPACE // parts) for index in range(1, parts)]
    starts: list[UUID | None] = [None]
    for bound in bounds:
        # ``after`` is exclusive: start just below the bound so it is included.
        starts.append(UUID(int=bound.int - 1))
    ends: list[UUID | None] = [*bounds, None]
    return list(zip(starts, ends, strict=True))


async def fan_out_live_notification(
    db: Database, stream_id: UUID, *, batch_size: int, parallelism: int = 1
) -> FanoutReport:
    """Notify every follower (with notifications enabled) that ``stream_id`` is live.

    The follower ids are split into ``parallelism`` ranges walked at the same
    time on separate connections, so PostgreSQL can use several cores.
    Does nothing when the stream is gone or no longer live, so a message
    delivered after the stream ended announces nothing. Each batch commits on
    its own, and a retry after a crash re-runs the earlier batches as no-ops.
    """
    stream = await db.fetch_one(
        sa.select(
            streams.c.user_id, streams.c.title, streams.c.status, users.c.username
        )
        .join_from(streams, users, users.c.id == streams.c.user_id)
        .where(streams.c.id == stream_id)
    )
    if stream is None or stream["status"] != "live":
        logger.info(
            "go-live fan-out skipped stream_id=%s status=%s",
            stream_id,
            None if stream is None else stream["status"],
        )
        return FanoutReport(scanned=0, inserted=0, batches=0)

    data = {"stream_title": stream["title"], "streamer_username": stream["username"]}

    async def walk(cursor: UUID | None, end: UUID | None) -> FanoutReport:
        scanned = inserted = batches = 0
        while True:
            row = await db.fetch_one(
                live_batch_statement(
                    streamer_id=stream["user_id"],
                    stream_id=stream_id,
                    cursor=cursor,
                    end=end,
                    batch_size=batch_size,
                    data=data,
                )
            )
            assert row is not None  # an aggregate query always returns one row
            batches += 1
            scanned += row["scanned"]
            inserted += row["inserted"]
            if row["scanned"] < batch_size:
                return FanoutReport(scanned=scanned, inserted=inserted, batches=batches)
            cursor = row["last_follower_id"]

    reports = await asyncio.gather(
        *(walk(start, end) for start, end in follower_ranges(max(1, parallelism)))
    )
    total = FanoutReport(
        scanned=sum(report.scanned for report in reports),
        inserted=sum(report.inserted for report in reports),
        batches=sum(report.batches for report in reports),
    )
    logger.info(
        "go-live fan-out done stream_id=%s scanned=%s inserted=%s batches=%s",
        stream_id,
        total.scanned,
        total.inserted,
        total.batches,
    )
    return total


async def notify_new_follower(
    db: Database, *, follower_id: UUID, followed_id: UUID, at: datetime
) -> bool:
    """Tell ``followed_id`` that ``follower_id`` followed them.

    Inserts nothing when the follow no longer exists (already unfollowed) or
    when the same follower was announced on the same UTC day. Returns True
    when a notification was inserted.
    """
    follower = users.alias("follower")
    source = (
        sa.select(
            follows.c.followed_id,
            sa.literal("new_follower"),
            follows.c.follower_id,
            sa.literal(follow_dedupe_key(follower_id, at)),
            sa.func.jsonb_build_object(
                "follower_username",
                follower.c.username,
                "follower_display_name",
                follower.c.display_name,
            ),
        )
        .join_from(follows, follower, follower.c.id == follows.c.follower_id)
        .where(
            follows.c.follower_id == follower_id, follows.c.followed_id == followed_id
        )
    )
    rows = await db.fetch_all(
        pg_insert(notifications)
        .from_select(["user_id", "kind", "actor_id", "dedupe_key", "data"], source)
        .on_conflict_do_nothing()
        .returning(notifications.c.id)
    )
    return bool(rows)
