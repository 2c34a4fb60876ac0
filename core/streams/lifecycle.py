"""Stream state transitions: offline -> live -> ended, and the reconnect window.

Every caller that changes a stream's status (the API, the webhook receiver,
the workers) goes through these functions. They run inside the caller's
transaction, lock the stream row, and return a :class:`Transition` that lists
the events the caller publishes after the commit.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa

from core.clock import utc_now
from core.db import Connection, Row, UniqueViolation, violated_constraint
from core.errors import DomainRuleViolation, NotFound
from core.events import Event, StreamChanged, StreamEnded, StreamWentLive
from core.search_outbox import record_search_change
from core.streams.queries import lock_stream
from core.tables import streams, users

logger = logging.getLogger(__name__)

ONE_LIVE_PER_USER_INDEX = "ix_streams_one_live_per_user"


class Source(enum.StrEnum):
    """Origin of a transition: the owner through the API, or a Cloudflare webhook."""

    MANUAL = "manual"
    WEBHOOK = "webhook"


class EndReason(enum.StrEnum):
    MANUAL = "manual"
    DISCONNECTED = "disconnected"


@dataclass(frozen=True)
class Transition:
    """The outcome of one lifecycle call on one stream."""

    stream_id: UUID
    user_id: UUID
    previous_status: str
    status: str
    #: True when anything on the row changed (status, reconnect, signal time).
    changed: bool
    at: datetime

    @property
    def status_changed(self) -> bool:
        return self.previous_status != self.status

    def events(self) -> list[Event]:
        """Return the domain events to publish once the transaction has committed."""
        if not self.status_changed:
            return []
        if self.status == "live":
            return [
                StreamWentLive(
                    stream_id=self.stream_id, user_id=self.user_id, at=self.at
                ),
                StreamChanged(stream_id=self.stream_id),
            ]
        if self.status == "ended":
            return [
                StreamEnded(stream_id=self.stream_id, user_id=self.user_id, at=self.at),
                StreamChanged(stream_id=self.stream_id),
            ]
        return [StreamChanged(stream_id=self.stream_id)]


def _unchanged(row: Row, at: datetime) -> Transition:
    return Transition(
        stream_id=row["id"],
        user_id=row["user_id"],
        previous_status=row["status"],
        status=row["status"],
        changed=False,
        at=at,
    )


async def _locked(conn: Connection, stream_id: UUID) -> Row:
    row = await lock_stream(conn, stream_id)
    if row is None:
        raise NotFound(f"stream {stream_id} not found")
    return row


async def go_live(
    conn: Connection, stream_id: UUID, at: datetime, source: Source
) -> Transition:
    """Make an offline stream live, or record a reconnect of a live one.

    ``started_at`` is set on the first transition only. A manual start of a
    live or ended stream raises DomainRuleViolation. A webhook connect changes
    nothing on an ended stream. On a live stream it clears ``disconnected_at``,
    so the pending end check finds a reconnect.

    A second live stream of the same user violates
    ``ix_streams_one_live_per_user``, which is raised as DomainRuleViolation.
    A savepoint keeps the caller's transaction usable after that error.
    """
    row = await _locked(conn, stream_id)
    status = row["status"]

    if status == "ended":
        if source is Source.MANUAL:
            raise DomainRuleViolation(
                f"stream {stream_id} has ended and cannot be restarted: "
                "create a new stream"
            )
        return _unchanged(row, at)

    if status == "live":
        if source is Source.MANUAL:
            raise DomainRuleViolation(f"stream {stream_id} is already live")
        await conn.execute(
            streams.update()
            .where(streams.c.id == stream_id)
            .values(disconnected_at=None, last_signal_at=at, updated_at=utc_now())
        )
        if row["disconnected_at"] is not None:
            logger.info("stream reconnected stream_id=%s", stream_id)
        return Transition(
            stream_id=stream_id,
            user_id=row["user_id"],
            previous_status=status,
            status=status,
            changed=True,
            at=at,
        )

    await conn.execute("SAVEPOINT go_live")
    try:
        await conn.execute(
            streams.update()
            .where(streams.c.id == stream_id)
            .values(
                status="live",
                started_at=sa.func.coalesce(streams.c.started_at, at),
                disconnected_at=None,
                last_signal_at=at,
                updated_at=utc_now(),
            )
        )
    except UniqueViolation as error:
        await conn.execute("ROLLBACK TO SAVEPOINT go_live")
        if violated_constraint(error) != ONE_LIVE_PER_USER_INDEX:
            raise
        raise DomainRuleViolation(
            "this user already has a live stream: end it before starting another"
        ) from error
    await conn.execute("RELEASE SAVEPOINT go_live")
    await record_search_change(conn, "stream", stream_id)

    logger.info("stream went live stream_id=%s source=%s", stream_id, source.value)
    return Transition(
        stream_id=stream_id,
        user_id=row["user_id"],
        previous_status=status,
        status="live",
        changed=True,
        at=at,
    )


async def mark_disconnected(
    conn: Connection, stream_id: UUID, at: datetime
) -> Transition:
    """Record that a live stream's encoder dropped at ``at``, leaving the status live.

    The stream ends only when
    :func:`core.streams.reconnect.confirm_ended_after_reconnect_window` finds no
    reconnect. A stream that is not live is left unchanged.
    """
    row = await _locked(conn, stream_id)
    if row["status"] != "live":
        return _unchanged(row, at)

    # A timestamp ahead of our clock would stretch the reconnect window.
    disconnected_at = min(at, utc_now())
    await conn.execute(
        streams.update()
        .where(streams.c.id == stream_id)
        .values(
            disconnected_at=disconnected_at, last_signal_at=at, updated_at=utc_now()
        )
    )
    logger.info("stream encoder disconnected stream_id=%s", stream_id)
    return Transition(
        stream_id=stream_id,
        user_id=row["user_id"],
        previous_status="live",
        status="live",
        changed=True,
        at=disconnected_at,
    )


async def end_stream(
    conn: Connection, stream_id: UUID, at: datetime, reason: str
) -> Transition:
    """End an offline or live stream and add its broadcast time to the owner's total.

    An already ended stream is left unchanged. Callers that must reject that
    case, such as a manual end, check ``Transition.status_changed``.
    """
    row = await _locked(conn, stream_id)
    if row["status"] == "ended":
        return _unchanged(row, at)

    await conn.execute(
        streams.update()
        .where(streams.c.id == stream_id)
        .values(
            status="ended",
            ended_at=at,
            end_reason=reason[:32],
            disconnected_at=None,
            viewer_count=0,
            updated_at=utc_now(),
        )
    )
    started_at = row["started_at"]
    if started_at is not None and at > started_at:
        seconds = int((at - started_at).total_seconds())
        await conn.execute(
            users.update()
            .where(users.c.id == row["user_id"])
            .values(total_stream_seconds=users.c.total_stream_seconds + seconds)
        )
    await record_search_change(conn, "stream", stream_id)

    logger.info("stream ended stream_id=%s reason=%s", stream_id, reason)
    return Transition(
        stream_id=stream_id,
        user_id=row["user_id"],
        previous_status=row["status"],
        status="ended",
        changed=True,
        at=at,
    )


async def record_signal(conn: Connection, stream_id: UUID, event_at: datetime) -> None:
    """Store the time of the newest notification applied to the stream.

    Notifications older than ``last_event_at`` are stale and change nothing.
    """
    await conn.execute(
        streams.update()
        .where(streams.c.id == stream_id)
        .values(
            last_event_at=sa.func.greatest(
                sa.func.coalesce(streams.c.last_event_at, event_at), event_at
            ),
            last_signal_at=sa.func.greatest(
                sa.func.coalesce(streams.c.last_signal_at, event_at), event_at
            ),
        )
    )
