"""Owner actions on a stream: update, delete, start, end and stream key rotation."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from core.clock import utc_now
from core.cloudflare import CloudflareError, CloudflareStream
from core.db import Database, Row
from core.errors import Conflict, DomainRuleViolation, NotFound, PermissionDenied
from core.events import EventSink, LiveInputDeletionQueued, StreamChanged, StreamDeleted
from core.search_outbox import record_search_change
from core.identity import check_category_exists
from core.streams.deletions import queue_live_input_deletion, try_delete_live_input
from core.streams.lifecycle import EndReason, Source, end_stream, go_live
from core.streams.queries import get_stream, lock_stream
from core.tables import streams

logger = logging.getLogger(__name__)

#: Columns an owner may change with PATCH or PUT.
UPDATABLE_FIELDS = frozenset({"title", "description", "category_id", "thumbnail_url"})


@dataclass(frozen=True)
class IngestCredentials:
    rtmps_url: str
    stream_key: str


async def _require_stream(db: Database, stream_id: UUID) -> Row:
    """Return the stream with its streamer fields, or raise NotFound."""
    row = await get_stream(db, stream_id)
    if row is None:
        raise NotFound(f"stream {stream_id} not found")
    return row


async def get_owned_stream(db: Database, stream_id: UUID, user_id: UUID) -> Row:
    """Return the stream, or raise NotFound or PermissionDenied for a non-owner."""
    row = await _require_stream(db, stream_id)
    if row["user_id"] != user_id:
        raise PermissionDenied(f"only the owner of stream {stream_id} may do this")
    return row


async def update_stream(
    db: Database,
    events: EventSink,
    *,
    stream_id: UUID,
    user_id: UUID,
    changes: Mapping[str, Any],
) -> Row:
    """Apply the given field changes and return the stream. Absent fields stay."""
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise ValueError(f"fields {sorted(unknown)} are not updatable")
    await get_owned_stream(db, stream_id, user_id)
    if changes.get("category_id") is not None:
        await check_category_exists(db, changes["category_id"])

    if changes:
        async with db.transaction() as conn:
            await conn.execute(
                streams.update()
                .where(streams.c.id == stream_id)
                .values(**changes, updated_at=utc_now())
            )
            await record_search_change(conn, "stream", stream_id)
        await events.publish(StreamChanged(stream_id=stream_id))

    return await _require_stream(db, stream_id)


async def delete_stream(
    db: Database,
    cloudflare: CloudflareStream,
    events: EventSink,
    *,
    stream_id: UUID,
    user_id: UUID,
) -> None:
    """Delete the live input at Cloudflare and the stream row.

    When Cloudflare fails the row is deleted anyway and the live input goes
    into the retry queue, so an outage never keeps an owner from deleting.
    """
    row = await get_owned_stream(db, stream_id, user_id)
    live_input_uid = row["live_input_uid"]
    cloudflare_error = await try_delete_live_input(cloudflare, live_input_uid)

    async with db.transaction() as conn:
        deleted = await conn.execute(streams.delete().where(streams.c.id == stream_id))
        if cloudflare_error is not None:
            await queue_live_input_deletion(conn, live_input_uid, cloudflare_error)
        await record_search_change(conn, "stream", stream_id)

    if deleted:
        logger.info("stream deleted stream_id=%s", stream_id)
        await events.publish(StreamDeleted(stream_id=stream_id, user_id=user_id))
    if cloudflare_error is not None:
        logger.info(
            "live input deletion queued stream_id=%s live_input_uid=%s",
            stream_id,
            live_input_uid,
        )
        await events.publish(LiveInputDeletionQueued(live_input_uid=live_input_uid))


async def start_stream(
    db: Database, events: EventSink, *, stream_id: UUID, user_id: UUID
) -> Row:
    """Make an offline stream live by hand. Live or ended streams raise 400."""
    await get_owned_stream(db, stream_id, user_id)
    async with db.transaction() as conn:
        transition = await go_live(conn, stream_id, utc_now(), Source.MANUAL)
    for event in transition.events():
        await events.publish(event)

    return await _require_stream(db, stream_id)


async def end_stream_by_owner(
    db: Database,
    cloudflare: CloudflareStream,
    events: EventSink,
    *,
    stream_id: UUID,
    user_id: UUID,
) -> Row:
    """End the stream and disable its live input so a still-pushing encoder is cut off.

    Ending an ended stream raises DomainRuleViolation. A failure to disable
    the input is logged and does not undo the end.
    """
    await get_owned_stream(db, stream_id, user_id)
    async with db.transaction() as conn:
        transition = await end_stream(conn, stream_id, utc_now(), EndReason.MANUAL)
    if not transition.status_changed:
        raise DomainRuleViolation(f"stream {stream_id} has already ended")

    for event in transition.events():
        await events.publish(event)

    row = await _require_stream(db, stream_id)
    try:
        await cloudflare.update_live_input(row["live_input_uid"], enabled=False)
    except CloudflareError as error:
        logger.warning(
            "could not disable the live input of an ended stream stream_id=%s "
            "live_input_uid=%s error=%s",
            stream_id,
            row["live_input_uid"],
            error,
        )
    return row


async def regenerate_stream_key(
    db: Database, cloudflare: CloudflareStream, *, stream_id: UUID, user_id: UUID
) -> IngestCredentials:
    """Rotate the live input's keys at Cloudflare and store the new credentials.

    The live input uid and the playback URL stay the same; the old key stops
    working at Cloudflare. Raises ``Conflict`` while another rotation of the
    same stream is running.
    """
    row = await get_owned_stream(db, stream_id, user_id)

    async with db.transaction() as conn:
        # Cloudflare keeps the key of the rotation it ran last, and two
        # concurrent rotations could store their keys in the other order, so
        # rotations of one stream run one at a time. The advisory lock leaves
        # the row free for webhooks while Cloudflare is called.
        # NOTE: the pooled connection stays checked out during that call.
        acquired = await conn.fetch_value(
            sa.select(
                sa.func.pg_try_advisory_xact_lock(
                    sa.func.hashtext(f"stream_key_rotation:{stream_id}")
                )
            )
        )
        if not acquired:
            raise Conflict(
                f"a stream key rotation of stream {stream_id} is already running: "
                "retry when it has finished"
            )
        live_input = await cloudflare.rotate_live_input_keys(row["live_input_uid"])
        if await lock_stream(conn, stream_id) is None:
            raise NotFound(f"stream {stream_id} not found")
        await conn.execute(
            streams.update()
            .where(streams.c.id == stream_id)
            .values(
                rtmps_url=live_input.rtmps_url,
                stream_key=live_input.stream_key,
                updated_at=utc_now(),
            )
        )
    logger.info("stream key rotated stream_id=%s", stream_id)
    return IngestCredentials(
        rtmps_url=live_input.rtmps_url, stream_key=live_input.stream_key
    )
