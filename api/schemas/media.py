"""Responses of the avatar and banner upload routes."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AvatarResponse(BaseModel):
    avatar_url: str = Field(description="URL of the stored 256x256 avatar")


class BannerResponse(BaseModel):
    banner_url: str = Field(description="URL of the stored 1920x480 banner")
