"""Request and response bodies of the chat endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.moderators import Badge
from core.community.chat import MAX_HISTORY_LIMIT
from core.community.chat_bans import MAX_TIMEOUT_SECONDS


class ChatMessageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(description="Message text, 1 to 500 characters on one line")


class ChatAuthor(BaseModel):
    id: UUID
    username: str
    display_name: str
    avatar_url: str | None


class ChatMessage(BaseModel):
    id: int
    stream_id: UUID
    body: str
    created_at: datetime
    user: ChatAuthor
    badges: list[Badge]


class ChatHistoryQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    limit: int = Field(
        default=50,
        ge=1,
        le=MAX_HISTORY_LIMIT,
        description="Messages to return (max 100)",
    )
    before_id: int | None = Field(
        default=None, ge=1, description="Only messages older than this id"
    )


class ChatMessageList(BaseModel):
    stream_id: UUID
    messages: list[ChatMessage]


class ChatBanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: UUID
    duration_seconds: int | None = Field(
        default=None,
        ge=1,
        le=MAX_TIMEOUT_SECONDS,
        description="Timeout length in seconds (max 14 days); omit or null for a ban",
    )
    reason: str = Field(default="", max_length=500)


class ChatBan(BaseModel):
    user_id: UUID
    username: str
    display_name: str
    kind: Literal["ban", "timeout"]
    expires_at: datetime | None
    reason: str
    created_by: UUID | None
    created_at: datetime


class ChatBanList(BaseModel):
    bans: list[ChatBan]
    total: int
    page: int
    per_page: int
    has_more: bool
