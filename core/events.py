"""Domain events that the API and the webhook receiver publish after a commit.

Events carry ids only. The worker side (``workers.events``) turns each one
into Dramatiq messages; tests use :class:`RecordingSink`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar
from uuid import UUID

logger = logging.getLogger(__name__)

EventT = TypeVar("EventT")


@dataclass(frozen=True)
class StreamWentLive:
    stream_id: UUID
    user_id: UUID
    at: datetime


@dataclass(frozen=True)
class StreamDisconnected:
    """The encoder dropped; the stream ends unless it reconnects within the window."""

    stream_id: UUID
    at: datetime


@dataclass(frozen=True)
class StreamEnded:
    stream_id: UUID
    user_id: UUID
    at: datetime


@dataclass(frozen=True)
class StreamChanged:
    stream_id: UUID


@dataclass(frozen=True)
class StreamDeleted:
    stream_id: UUID
    user_id: UUID


@dataclass(frozen=True)
class LiveInputDeletionQueued:
    """Deleting a live input at Cloudflare failed and was queued for a retry."""

    live_input_uid: str


@dataclass(frozen=True)
class UserFollowed:
    follower_id: UUID
    followed_id: UUID
    at: datetime


@dataclass(frozen=True)
class UserChanged:
    user_id: UUID


Event = (
    StreamWentLive
    | StreamDisconnected
    | StreamEnded
    | StreamChanged
    | StreamDeleted
    | LiveInputDeletionQueued
    | UserFollowed
    | UserChanged
)


class EventSink(Protocol):
    async def publish(self, event: Event) -> None:
        """Hand an event to whatever reacts to it; must not raise on delivery failure."""


class NullSink:
    """Drops every event; for processes that run no background work."""

    async def publish(self, event: Event) -> None:
        logger.debug("event dropped: %r", event)


class RecordingSink:
    """Keeps every published event in order, for tests."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    async def publish(self, event: Event) -> None:
        self.events.append(event)

    def of_type(self, kind: type[EventT]) -> list[EventT]:
        return [event for event in self.events if isinstance(event, kind)]
