"""Request and response bodies of the moderator, VIP and badge endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from api.schemas.common import PageQuery

GrantableBadge = Literal["moderator", "vip"]
Badge = Literal["broadcaster", "moderator", "vip", "subscriber", "verified"]


class RoleGrantRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: UUID
    badge_type: GrantableBadge


class RoleQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    badge_type: GrantableBadge | None = None


class RoleListQuery(PageQuery):
    badge_type: GrantableBadge | None = None


class ChannelRole(BaseModel):
    user_id: UUID
    username: str
    display_name: str
    avatar_url: str | None
    badge_type: GrantableBadge
    granted_by: UUID | None
    granted_at: datetime


class ChannelRoleList(BaseModel):
    moderators: list[ChannelRole]
    total: int
    page: int
    per_page: int
    has_more: bool


class UserBadges(BaseModel):
    stream_id: UUID
    user_id: UUID
    badges: list[Badge]
