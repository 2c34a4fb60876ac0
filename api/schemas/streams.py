"""Request and response bodies of the streams endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.schemas.common import PageQuery
from core.db import Row
from core.streams.queries import STREAMER_FIELDS

TITLE_MAX_LENGTH = 140
DESCRIPTION_MAX_LENGTH = 5000
URL_MAX_LENGTH = 2048


def _check_http_url(value: str | None) -> str | None:
    if value is not None and not value.startswith(("https://", "http://")):
        raise ValueError("must be an http(s) URL")
    return value


class StreamCreateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=TITLE_MAX_LENGTH)
    description: str = Field(default="", max_length=DESCRIPTION_MAX_LENGTH)
    category_id: UUID | None = None
    thumbnail_url: str | None = Field(default=None, max_length=URL_MAX_LENGTH)

    _thumbnail_is_url = field_validator("thumbnail_url")(_check_http_url)


class StreamUpdateRequest(BaseModel):
    """Fields to change.

    Omitted fields stay as they are, and ``null`` clears an optional field.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str | None = Field(default=None, min_length=1, max_length=TITLE_MAX_LENGTH)
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX_LENGTH)
    category_id: UUID | None = None
    thumbnail_url: str | None = Field(default=None, max_length=URL_MAX_LENGTH)

    _thumbnail_is_url = field_validator("thumbnail_url")(_check_http_url)

    @field_validator("title", "description")
    @classmethod
    def _not_null(cls, value: str | None) -> str:
        if value is None:
            raise ValueError("may be omitted but not null")
        return value

    def changes(self) -> dict[str, Any]:
        """Return the fields the client sent, with their new values."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class StreamListQuery(PageQuery):
    status_filter: Literal["live", "ended", "all"] = "all"
    category_id: UUID | None = None
    user_id: UUID | None = None
    tenant_id: UUID | None = None
    search: str | None = Field(default=None, min_length=1, max_length=200)


class UserStreamsQuery(PageQuery):
    status_filter: Literal["live", "ended", "all"] = "all"


class Streamer(BaseModel):
    id: UUID
    username: str
    display_name: str
    avatar_url: str | None
    follower_count: int
    is_verified: bool


class Ingest(BaseModel):
    """Secret RTMPS credentials for the encoder, shown only to the stream's owner."""

    rtmps_url: str
    stream_key: str


class StreamResponse(BaseModel):
    id: UUID
    user_id: UUID
    title: str
    description: str
    category_id: UUID | None
    status: Literal["offline", "live", "ended"]
    viewer_count: int
    viewer_count_sampled_at: datetime | None
    peak_viewer_count: int
    playback_url: str
    thumbnail_url: str | None
    started_at: datetime | None
    ended_at: datetime | None
    last_signal_at: datetime | None
    created_at: datetime
    updated_at: datetime
    streamer: Streamer


class StreamWithIngestResponse(StreamResponse):
    ingest: Ingest


class StreamListResponse(BaseModel):
    streams: list[StreamResponse]
    total: int
    page: int
    per_page: int
    has_more: bool


class LiveStreamSummary(BaseModel):
    id: UUID
    title: str
    viewer_count: int
    status: Literal["offline", "live", "ended"]
    started_at: datetime | None
    playback_url: str


class UserLiveResponse(BaseModel):
    is_live: bool
    stream: LiveStreamSummary | None


def stream_response(row: Row, *, include_ingest: bool) -> StreamResponse:
    """Build the stream body from a query row, with ``include_ingest`` for the owner."""
    streamer = Streamer(**{name: row[f"streamer_{name}"] for name in STREAMER_FIELDS})
    fields = {
        name: row[name] for name in StreamResponse.model_fields if name != "streamer"
    }
    if include_ingest:
        ingest = Ingest(rtmps_url=row["rtmps_url"], stream_key=row["stream_key"])
        return StreamWithIngestResponse(**fields, streamer=streamer, ingest=ingest)
    return StreamResponse(**fields, streamer=streamer)


def live_summary(row: Row) -> LiveStreamSummary:
    return LiveStreamSummary(
        **{name: row[name] for name in LiveStreamSummary.model_fields}
    )
