"""The end of a reconnect window: end the stream unless its encoder came back.

A ``live_input.disconnected`` notification leaves the stream live with
``disconnected_at`` set. After ``STREAM_RECONNECT_WINDOW_SECONDS`` the
receiver's in-process timer, and the worker as a durable backup, call
:func:`confirm_ended_after_reconnect_window`. Both may run for the same
disconnect, so the function is idempotent.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from uuid import UUID

from core.clock import utc_now
from core.cloudflare import CloudflareError, CloudflareStream
from core.db import Database
from core.events import Event, EventSink
from core.settings import get_settings
from core.streams.lifecycle import EndReason, end_stream
from core.streams.queries import get_stream, lock_stream
from core.tables import streams

logger = logging.getLogger(__name__)


class ReconnectOutcome(enum.StrEnum):
    ENDED = "ended"
    #: The stream is not live or has no pending disconnect (it reconnected).
    NOTHING_PENDING = "nothing_pending"
    #: Cloudflare's lifecycle reports the input live: a connect was missed.
    STILL_LIVE_AT_CLOUDFLARE = "still_live_at_cloudflare"
    #: The window has not elapsed yet, so check again after ``retry_after_seconds``.
    WINDOW_OPEN = "window_open"


@dataclass(frozen=True)
class ReconnectCheck:
    outcome: ReconnectOutcome
    retry_after_seconds: float = 0.0
    events: list[Event] = field(default_factory=list)


async def confirm_ended_after_reconnect_window(
    db: Database,
    cloudflare: CloudflareStream,
    stream_id: UUID,
    *,
    window_seconds: float | None = None,
    events: EventSink | None = None,
) -> ReconnectCheck:
    """End a disconnected stream whose reconnect window passed without a reconnect.

    ``window_seconds`` defaults to ``STREAM_RECONNECT_WINDOW_SECONDS`` from the
    process settings. Before ending, the function requests Cloudflare's
    lifecycle endpoint. If it reports the input live, the stream stays live
    and its ``disconnected_at`` is cleared. If the request fails, the stream
    ends anyway, because the disconnect notification is the better evidence.
    The resulting events are returned, and also published to ``events`` after
    the commit when a sink is given.
    """
    if window_seconds is None:
        window_seconds = get_settings().stream_reconnect_window_seconds

    stream = await get_stream(db, stream_id)
    if (
        stream is None
        or stream["status"] != "live"
        or stream["disconnected_at"] is None
    ):
        return ReconnectCheck(ReconnectOutcome.NOTHING_PENDING)
    disconnected_at = stream["disconnected_at"]

    remaining = (
        disconnected_at + timedelta(seconds=window_seconds) - utc_now()
    ).total_seconds()
    if remaining > 0:
        return ReconnectCheck(
            ReconnectOutcome.WINDOW_OPEN, retry_after_seconds=remaining
        )

    live_at_cloudflare = await _live_at_cloudflare(
        cloudflare, stream["live_input_uid"], stream_id
    )

    async with db.transaction() as conn:
        locked = await lock_stream(conn, stream_id)
        # A reconnect or a newer disconnect committed while Cloudflare was asked.
        if (
            locked is None
            or locked["status"] != "live"
            or locked["disconnected_at"] != disconnected_at
        ):
            return ReconnectCheck(ReconnectOutcome.NOTHING_PENDING)

        if live_at_cloudflare:
            await conn.execute(
                streams.update()
                .where(streams.c.id == stream_id)
                .values(disconnected_at=None, updated_at=utc_now())
            )
            logger.warning(
                "stream kept live: Cloudflare reports the input live after the "
                "reconnect window stream_id=%s",
                stream_id,
            )
            return ReconnectCheck(ReconnectOutcome.STILL_LIVE_AT_CLOUDFLARE)

        transition = await end_stream(
            conn, stream_id, utc_now(), EndReason.DISCONNECTED
        )

    published = transition.events()
    if events is not None:
        for event in published:
            await events.publish(event)
    return ReconnectCheck(ReconnectOutcome.ENDED, events=published)


async def _live_at_cloudflare(
    cloudflare: CloudflareStream, live_input_uid: str, stream_id: UUID
) -> bool:
    try:
        lifecycle = await cloudflare.get_lifecycle(live_input_uid)
    except CloudflareError as error:
        logger.warning(
            "Cloudflare lifecycle check failed; ending the stream on the disconnect "
            "notification alone stream_id=%s error=%s",
            stream_id,
            error,
        )
        return False
    return lifecycle.live
