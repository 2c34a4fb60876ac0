"""Response bodies of the follow-notification endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field


class NotificationActor(BaseModel):
    """The user who caused the notification: the streamer who went live or the new follower."""

    id: UUID
    username: str
    display_name: str
    avatar_url: str | None


class NotificationStream(BaseModel):
    id: UUID
    title: str | None
    status: Literal["offline", "live", "ended"] | None


class Notification(BaseModel):
    id: UUID
    kind: Literal["stream_live", "new_follower"]
    message: str
    read: bool
    read_at: datetime | None
    created_at: datetime
    actor: NotificationActor | None = Field(
        description="Null when the acting user was deleted"
    )
    stream: NotificationStream | None


class NotificationList(BaseModel):
    notifications: list[Notification]
    total: int
    page: int
    per_page: int
    has_more: bool


class UnreadCount(BaseModel):
    unread_count: int


class MarkAllReadResult(BaseModel):
    marked_read: int
