"""Request and response bodies of the follow endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from api.schemas.streams import Streamer


class FollowRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notifications_enabled: bool = True


class FollowStatus(BaseModel):
    following: bool
    notifications_enabled: bool
    followed_at: datetime | None


class FollowUser(BaseModel):
    """A user in a followers or following list, with when the edge was created."""

    id: UUID
    username: str
    display_name: str
    avatar_url: str | None
    is_verified: bool
    follower_count: int
    followed_at: datetime


class FollowerList(BaseModel):
    followers: list[FollowUser]
    total: int
    page: int
    per_page: int
    has_more: bool


class FollowingList(BaseModel):
    following: list[FollowUser]
    total: int
    page: int
    per_page: int
    has_more: bool


class FollowedLiveStream(BaseModel):
    id: UUID
    title: str
    status: Literal["live"]
    viewer_count: int
    playback_url: str
    thumbnail_url: str | None
    category_id: UUID | None
    started_at: datetime | None
    streamer: Streamer


class FollowedLiveList(BaseModel):
    streams: list[FollowedLiveStream]
    total: int
    page: int
    per_page: int
    has_more: bool
