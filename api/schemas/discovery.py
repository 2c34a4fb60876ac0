"""Request and response bodies of the trending and rising listings."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.streams import StreamResponse


class TrendingQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    time_window: int = Field(
        default=1,
        ge=1,
        le=24,
        description="Hours over which freshness decays (1 to 24)",
    )
    limit: int = Field(
        default=10, ge=1, le=50, description="Streams to return (max 50)"
    )
    category_id: UUID | None = Field(
        default=None, description="Only streams in this category"
    )


class TrendingStream(BaseModel):
    stream: StreamResponse
    trending_score: float = Field(description="0 to 100; see the trending formula")


class TrendingResponse(BaseModel):
    streams: list[TrendingStream]
    total: int = Field(description="Live streams ranked in this scope")
    limit: int
    time_window_hours: int


class RisingQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    limit: int = Field(
        default=20, ge=1, le=100, description="Streams to return (max 100)"
    )
    category_id: UUID | None = Field(
        default=None, description="Only streams in this category"
    )


class RisingStream(BaseModel):
    stream: StreamResponse
    viewer_growth: int = Field(description="Viewers gained over the last 30 minutes")
    total_stream_hours: float = Field(
        description="The streamer's hours of ended streams"
    )


class RisingResponse(BaseModel):
    streams: list[RisingStream]
    total: int = Field(description="Rising streams ranked in this scope")
    limit: int
    max_stream_hours: float = Field(
        description="Streamers with fewer total streaming hours than this can rise"
    )
