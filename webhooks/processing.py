"""Apply one live-input notification to its stream and store it in ``webhook_events``.

Notifications may arrive twice, late or out of order, so each one is checked
under the stream's row lock before it changes anything:

- a notification with the same input, event type and ``updated_at`` as a
  stored one is a duplicate;
- one older than the stream's ``last_event_at`` is stale;
- otherwise ``connected`` makes the stream live, ``disconnected`` starts the
  reconnect window and ``errored`` is recorded, ending the stream only for
  errors that no reconnect can fix.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from core.clock import utc_now
from core.db import Connection, Database, Row
from core.errors import DomainRuleViolation
from core.events import Event, StreamDisconnected
from core.streams import (
    Source,
    end_stream,
    go_live,
    lock_stream_by_live_input,
    mark_disconnected,
    record_signal,
)
from core.tables import webhook_events
from webhooks.events import (
    CONNECTED,
    DISCONNECTED,
    ERRORED,
    Notification,
    NotificationData,
)

logger = logging.getLogger(__name__)

#: Errors after which Cloudflare will not accept the broadcast, so the stream ends.
FATAL_ERROR_CODES = frozenset(
    {"ERR_STORAGE_QUOTA_EXHAUSTED", "ERR_MISSING_SUBSCRIPTION"}
)


class Outcome(enum.StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    STALE = "stale"
    UNKNOWN_INPUT = "unknown_input"
    #: Valid but with nothing to do: a test message, an unknown event type, a
    #: connect for an ended stream.
    IGNORED = "ignored"
    #: A connect that would give the user a second live stream.
    REJECTED = "rejected"


@dataclass
class ProcessedNotification:
    outcome: Outcome
    stream_id: UUID | None = None
    #: Published by the caller after the commit.
    events: list[Event] = field(default_factory=list)
    #: Set when a disconnect opened a reconnect window.
    disconnected_at: datetime | None = None


async def _store(
    conn: Connection | Database,
    body: Any,
    outcome: Outcome,
    data: NotificationData | None = None,
    stream_id: UUID | None = None,
) -> None:
    await conn.execute(
        webhook_events.insert().values(
            input_id=data.input_id if data else None,
            event_type=data.event_type if data else None,
            event_updated_at=data.updated_at if data else None,
            body=body,
            outcome=outcome.value,
            stream_id=stream_id,
        )
    )


async def _is_duplicate(conn: Connection, data: NotificationData) -> bool:
    found = await conn.fetch_value(
        sa.select(sa.literal(1))
        .select_from(webhook_events)
        .where(
            webhook_events.c.input_id == data.input_id,
            webhook_events.c.event_type == data.event_type,
            webhook_events.c.event_updated_at == data.updated_at,
        )
        .limit(1)
    )
    return found is not None


async def process_notification(
    db: Database, notification: Notification, body: Any
) -> ProcessedNotification:
    """Apply the notification in one transaction and return what happened."""
    data = notification.data
    if data is None:
        await _store(db, body, Outcome.IGNORED)
        logger.info("webhook test message received")
        return ProcessedNotification(Outcome.IGNORED)

    async with db.transaction() as conn:
        stream = await lock_stream_by_live_input(conn, data.input_id)
        if stream is None:
            await _store(conn, body, Outcome.UNKNOWN_INPUT, data)
            logger.info(
                "webhook for an unknown live input live_input_uid=%s event_type=%s",
                data.input_id,
                data.event_type,
            )
            return ProcessedNotification(Outcome.UNKNOWN_INPUT)

        stream_id = stream["id"]
        if await _is_duplicate(conn, data):
            outcome = Outcome.DUPLICATE
        elif (
            stream["last_event_at"] is not None
            and data.updated_at < stream["last_event_at"]
        ):
            outcome = Outcome.STALE
        else:
            result = await _apply(conn, stream, data)
            await record_signal(conn, stream_id, data.updated_at)
            await _store(conn, body, result.outcome, data, stream_id)
            return result

        await _store(conn, body, outcome, data, stream_id)
        logger.info(
            "webhook skipped outcome=%s stream_id=%s event_type=%s",
            outcome.value,
            stream_id,
            data.event_type,
        )
        return ProcessedNotification(outcome, stream_id)


async def _apply(
    conn: Connection, stream: Row, data: NotificationData
) -> ProcessedNotification:
    stream_id = stream["id"]

    if data.event_type == CONNECTED:
        try:
            transition = await go_live(conn, stream_id, data.updated_at, Source.WEBHOOK)
        except DomainRuleViolation:
            logger.warning(
                "encoder connected but the user already has another live stream "
                "stream_id=%s user_id=%s",
                stream_id,
                stream["user_id"],
            )
            return ProcessedNotification(Outcome.REJECTED, stream_id)
        if transition.status == "ended":
            return ProcessedNotification(Outcome.IGNORED, stream_id)
        return ProcessedNotification(
            Outcome.APPLIED, stream_id, events=transition.events()
        )

    if data.event_type == DISCONNECTED:
        transition = await mark_disconnected(conn, stream_id, data.updated_at)
        if transition.status != "live":
            return ProcessedNotification(Outcome.IGNORED, stream_id)
        return ProcessedNotification(
            Outcome.APPLIED,
            stream_id,
            events=[StreamDisconnected(stream_id=stream_id, at=transition.at)],
            disconnected_at=transition.at,
        )

    if data.event_type == ERRORED:
        code = data.error_code
        logger.warning(
            "live input errored stream_id=%s live_input_uid=%s code=%s",
            stream_id,
            data.input_id,
            code,
        )
        if code in FATAL_ERROR_CODES:
            transition = await end_stream(conn, stream_id, utc_now(), code)
            return ProcessedNotification(
                Outcome.APPLIED, stream_id, events=transition.events()
            )
        return ProcessedNotification(Outcome.APPLIED, stream_id)

    logger.info(
        "webhook with an unknown event type stream_id=%s event_type=%s",
        stream_id,
        data.event_type,
    )
    return ProcessedNotification(Outcome.IGNORED, stream_id)
