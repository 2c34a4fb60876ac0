"""Viewer counts: sampling live streams, the outlier rule, retention and total views.

A sample is one reading of Cloudflare's per-input viewer count. Every reading
is stored in ``viewer_samples``, and the stream's displayed ``viewer_count``
takes it unless it is an outlier (see :func:`is_outlier`). An outlier waits
in ``unconfirmed_viewer_count`` until the next sample confirms it.

A user's ``total_views`` is the sum of ``peak_viewer_count`` over all of the
user's streams, live and ended. It is recomputed from the streams whenever a
peak rises, so replaying a sample never counts twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert

from core.cloudflare import CloudflareError, CloudflareStream
from core.db import Connection, Database, delete_in_batches
from core.tables import streams, users, viewer_samples

logger = logging.getLogger(__name__)

#: A reading more than this many times below the reference count is an
#: outlier ...
OUTLIER_FACTOR = 5
#: ... provided the reference is at least this many viewers, so small
#: streams moving between 0 and a handful of viewers are never held back.
OUTLIER_MIN_VIEWERS = 20


def is_outlier(reading: int, reference: int) -> bool:
    """Return True when ``reading`` collapses far below ``reference`` (e.g. 1 among 300).

    Only drops are held back. A sudden rise is how a stream grows (a raid, a
    shout-out, the first viewers arriving), so it is shown at once.
    """
    return reference >= OUTLIER_MIN_VIEWERS and reference > OUTLIER_FACTOR * max(
        reading, 1
    )


@dataclass(frozen=True)
class SampleDecision:
    """Effect of one reading on a stream's displayed count."""

    viewer_count: int
    unconfirmed_viewer_count: int | None
    accepted: bool


def decide_sample(
    reading: int, *, displayed: int, unconfirmed: int | None, first: bool
) -> SampleDecision:
    """Apply the outlier rule to one reading.

    The first reading of a stream is always accepted. A later reading is
    accepted when it is close to the displayed count, or when it is close to
    the previous held reading, which it then confirms. Otherwise it is held
    and the displayed count stays.
    """
    if first or not is_outlier(reading, displayed):
        return SampleDecision(reading, None, accepted=True)
    if unconfirmed is not None and not is_outlier(reading, unconfirmed):
        return SampleDecision(reading, None, accepted=True)
    return SampleDecision(displayed, reading, accepted=False)


@dataclass(frozen=True)
class SampleReport:
    """Outcome of sampling one batch of streams."""

    requested: int
    recorded: int
    held: int
    failed: int


async def live_stream_ids(
    db: Database, *, after: UUID | None = None, limit: int = 1000
) -> list[UUID]:
    """Return ids of live streams in id order after ``after`` (keyset pagination)."""
    query = (
        sa.select(streams.c.id)
        .where(streams.c.status == "live")
        .order_by(streams.c.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(streams.c.id > after)
    return [row["id"] for row in await db.fetch_all(query)]


async def read_viewer_counts(
    cloudflare: CloudflareStream,
    live_inputs: Sequence[tuple[UUID, str]],
    *,
    concurrency: int,
) -> dict[UUID, int | None]:
    """Read the viewer count of each ``(stream_id, live_input_uid)``, at most
    ``concurrency`` requests at a time. A failed read maps to None.
    """
    semaphore = asyncio.Semaphore(concurrency)

    async def read(stream_id: UUID, live_input_uid: str) -> int | None:
        async with semaphore:
            try:
                count = await cloudflare.get_viewer_count(live_input_uid)
            except CloudflareError as error:
                logger.debug(
                    "viewer count read failed stream_id=%s live_input_uid=%s error=%s",
                    stream_id,
                    live_input_uid,
                    error,
                )
                return None
        if count < 0:
            logger.debug("negative viewer count ignored stream_id=%s", stream_id)
            return None
        return count

    counts = await asyncio.gather(*(read(sid, uid) for sid, uid in live_inputs))
    return {sid: count for (sid, _), count in zip(live_inputs, counts, strict=True)}


async def sample_streams(
    db: Database,
    cloudflare: CloudflareStream,
    stream_ids: Sequence[UUID],
    *,
    sampled_at: datetime,
    concurrency: int,
) -> SampleReport:
    """Read and record the viewer count of each live stream in ``stream_ids``.

    Streams that are no longer live are skipped. A failed read leaves the
    stream's last value and is counted in ``failed``, and the other streams
    are still recorded.
    """
    rows = await db.fetch_all(
        sa.select(streams.c.id, streams.c.live_input_uid).where(
            streams.c.id.in_(list(stream_ids)), streams.c.status == "live"
        )
    )
    live_inputs = [(row["id"], row["live_input_uid"]) for row in rows]
    counts = await read_viewer_counts(cloudflare, live_inputs, concurrency=concurrency)
    readings = {sid: count for sid, count in counts.items() if count is not None}
    failed = len(counts) - len(readings)

    recorded, held = await record_viewer_samples(db, readings, sampled_at=sampled_at)
    return SampleReport(
        requested=len(stream_ids), recorded=recorded, held=held, failed=failed
    )


async def record_viewer_samples(
    db: Database, readings: dict[UUID, int], *, sampled_at: datetime
) -> tuple[int, int]:
    """Store ``readings`` taken at ``sampled_at`` and update the live streams.

    Returns ``(recorded, held)``: the number of new sample rows and how many
    of them were held back as outliers. A reading whose sample row already
    exists (a redelivered message) changes nothing.
    """
    if not readings:
        return 0, 0
    async with db.transaction() as conn:
        current = await conn.fetch_all(
            sa.select(
                streams.c.id,
                streams.c.user_id,
                streams.c.viewer_count,
                streams.c.peak_viewer_count,
                streams.c.unconfirmed_viewer_count,
                streams.c.viewer_count_sampled_at,
            )
            .where(streams.c.id.in_(list(readings)), streams.c.status == "live")
            .order_by(streams.c.id)
            .with_for_update()
        )
        if not current:
            return 0, 0

        inserted = await conn.fetch_all(
            pg_insert(viewer_samples)
            .values(
                [
                    {
                        "stream_id": row["id"],
                        "sampled_at": sampled_at,
                        "viewer_count": readings[row["id"]],
                    }
                    for row in current
                ]
            )
            .on_conflict_do_nothing()
            .returning(viewer_samples.c.stream_id)
        )
        new_ids = {row["stream_id"] for row in inserted}

        updates: list[tuple[UUID, int, int | None, bool]] = []
        raised_peak_users: set[UUID] = set()
        held = 0
        for row in current:
            last = row["viewer_count_sampled_at"]
            if row["id"] not in new_ids or (last is not None and last >= sampled_at):
                continue
            decision = decide_sample(
                readings[row["id"]],
                displayed=row["viewer_count"],
                unconfirmed=row["unconfirmed_viewer_count"],
                first=last is None,
            )
            if not decision.accepted:
                held += 1
            elif decision.viewer_count > row["peak_viewer_count"]:
                raised_peak_users.add(row["user_id"])
            updates.append(
                (
                    row["id"],
                    decision.viewer_count,
                    decision.unconfirmed_viewer_count,
                    decision.accepted,
                )
            )

        await _apply_decisions(conn, updates, sampled_at=sampled_at)
        await refresh_total_views(conn, raised_peak_users)
    return len(new_ids), held


async def _apply_decisions(
    conn: Connection,
    updates: list[tuple[UUID, int, int | None, bool]],
    *,
    sampled_at: datetime,
) -> None:
    if not updates:
        return
    decided = sa.values(
        sa.column("id", PG_UUID(as_uuid=True)),
        sa.column("viewer_count", sa.Integer),
        sa.column("unconfirmed", sa.Integer),
        sa.column("accepted", sa.Boolean),
        name="decided",
    ).data(updates)
    await conn.execute(
        streams.update()
        .where(streams.c.id == decided.c.id)
        .values(
            viewer_count=decided.c.viewer_count,
            # A VALUES column of NULLs alone would be typed text.
            unconfirmed_viewer_count=sa.cast(decided.c.unconfirmed, sa.Integer),
            peak_viewer_count=sa.func.greatest(
                streams.c.peak_viewer_count, decided.c.viewer_count
            ),
            # The displayed count is as fresh as the last reading it took.
            viewer_count_sampled_at=sa.case(
                (
                    decided.c.accepted,
                    sa.literal(sampled_at, sa.DateTime(timezone=True)),
                ),
                else_=streams.c.viewer_count_sampled_at,
            ),
        )
    )


async def refresh_total_views(conn: Connection, user_ids: Iterable[UUID]) -> None:
    """Recompute ``users.total_views`` as the sum of the users' stream peaks."""
    ids = sorted(set(user_ids))
    if not ids:
        return
    peak_sum = (
        sa.select(sa.func.coalesce(sa.func.sum(streams.c.peak_viewer_count), 0))
        .where(streams.c.user_id == users.c.id)
        .scalar_subquery()
    )
    await conn.execute(
        users.update().where(users.c.id.in_(ids)).values(total_views=peak_sum)
    )


async def delete_expired_samples(
    db: Database, *, older_than: datetime, batch_size: int = 10_000
) -> int:
    """Delete samples taken before ``older_than``, ``batch_size`` rows per statement.

    Returns the number of rows deleted.
    """
    return await delete_in_batches(
        db,
        viewer_samples,
        key_columns=[viewer_samples.c.stream_id, viewer_samples.c.sampled_at],
        condition=viewer_samples.c.sampled_at < older_than,
        batch_size=batch_size,
    )
