"""Request and response bodies of the streamer and basic user profile endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.community.social_links import MAX_URL_LENGTH


class CurrentStream(BaseModel):
    id: UUID
    title: str
    viewer_count: int
    status: Literal["offline", "live", "ended"]
    category_id: UUID | None
    thumbnail_url: str | None
    started_at: datetime | None


class StreamerProfile(BaseModel):
    id: UUID
    username: str
    display_name: str
    bio: str
    avatar_url: str | None
    banner_url: str | None
    social_links: dict[str, str]
    stream_title: str | None
    stream_category_id: UUID | None
    follower_count: int
    following_count: int
    total_views: int
    is_partner: bool
    is_verified: bool
    is_live: bool
    current_stream: CurrentStream | None
    created_at: datetime


class OwnStreamerProfile(StreamerProfile):
    """The caller's own profile: the public fields plus account details only they see."""

    email: str
    tenant_id: UUID | None
    is_admin: bool
    total_stream_seconds: int
    updated_at: datetime


class ProfileUpdateRequest(BaseModel):
    """Fields to change; omitted fields stay, ``null`` clears an optional field.

    ``social_links`` replaces the whole set of links.
    """

    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(default=None, min_length=1, max_length=50)
    bio: str | None = Field(default=None, max_length=1000)
    stream_title: str | None = Field(default=None, max_length=140)
    stream_category_id: UUID | None = None
    social_links: dict[str, str | None] | None = Field(
        default=None,
        description="Link name (twitter, youtube, github, website, ...) to http(s) URL",
    )
    avatar_url: str | None = Field(default=None, max_length=MAX_URL_LENGTH)
    banner_url: str | None = Field(default=None, max_length=MAX_URL_LENGTH)

    @field_validator("display_name")
    @classmethod
    def _display_name_not_null(cls, value: str | None) -> str:
        if value is None:
            raise ValueError("may be omitted but not null")
        return value

    def changes(self) -> dict[str, Any]:
        """Return the fields the client sent, with their new values."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class LiveStreamBrief(BaseModel):
    id: UUID
    title: str
    viewer_count: int
    status: Literal["offline", "live", "ended"]


class UserProfile(BaseModel):
    id: UUID
    username: str
    display_name: str
    bio: str
    avatar_url: str | None
    follower_count: int
    following_count: int
    is_live: bool
    current_stream: LiveStreamBrief | None
    total_views: int
    is_verified: bool
    created_at: datetime
