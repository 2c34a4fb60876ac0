"""Query parameters and response bodies of the search endpoints."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from api.http import InvalidField
from api.schemas.common import MAX_PER_PAGE
from api.schemas.streams import Streamer
from search_index.interfaces import MAX_SEARCH_WINDOW, StreamQuery


class StreamSearchQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    query: str = Field(
        min_length=1, max_length=200, description="Search text, 1 to 200 characters"
    )
    category_id: UUID | None = Field(
        default=None, description="Only streams in this category"
    )
    status_filter: Literal["live", "ended", "all"] = Field(
        default="all", description="live, ended, or all (live and ended)"
    )
    start_date: datetime | None = Field(
        default=None, description="Streams started at or after this time"
    )
    end_date: datetime | None = Field(
        default=None, description="Streams started at or before this time"
    )
    page: int = Field(default=1, ge=1, description="Page number, from 1")
    per_page: int = Field(
        default=20, ge=1, le=MAX_PER_PAGE, description="Results per page (max 100)"
    )

    @field_validator("start_date", "end_date")
    @classmethod
    def _to_utc(cls, value: datetime | None) -> datetime | None:
        """Read a time without an offset as UTC; reject times UTC cannot represent."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        try:
            return value.astimezone(UTC)
        except OverflowError as error:
            raise ValueError("time is out of range once converted to UTC") from error

    @model_validator(mode="after")
    def _check_window(self) -> StreamSearchQuery:
        if self.page * self.per_page > MAX_SEARCH_WINDOW:
            raise InvalidField(
                "page",
                f"page * per_page must be at most {MAX_SEARCH_WINDOW}; "
                "narrow the query or filters instead of paging deeper",
            )
        if self.start_date and self.end_date and self.start_date > self.end_date:
            raise InvalidField("end_date", "end_date must not be before start_date")
        return self

    def to_stream_query(self) -> StreamQuery:
        return StreamQuery(
            text=self.query,
            category_id=self.category_id,
            status=self.status_filter,
            started_after=self.start_date,
            started_before=self.end_date,
            page=self.page,
            per_page=self.per_page,
        )


class SuggestionsQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    query: str = Field(
        min_length=1, max_length=100, description="Partial query, 1 to 100 characters"
    )
    limit: int = Field(
        default=5, ge=1, le=20, description="Maximum suggestions (max 20)"
    )


class PopularTermsQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    limit: int = Field(default=10, ge=1, le=50, description="Maximum terms (max 50)")


class TrendingTermsQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    hours: int = Field(
        default=24, ge=1, le=168, description="Time window in hours (max 168)"
    )
    limit: int = Field(default=10, ge=1, le=50, description="Maximum terms (max 50)")


class SearchStream(BaseModel):
    id: UUID
    title: str
    description: str
    status: str
    viewer_count: int
    playback_url: str
    thumbnail_url: str | None
    started_at: datetime | None
    ended_at: datetime | None
    created_at: datetime
    category_id: UUID | None
    category_name: str | None
    streamer: Streamer


class StreamSearchResponse(BaseModel):
    streams: list[SearchStream]
    total: int = Field(description=f"Matches, counted up to {MAX_SEARCH_WINDOW}")
    page: int
    per_page: int
    has_more: bool
    query: str


class SuggestionItem(BaseModel):
    text: str
    type: Literal["stream", "streamer", "category"]
    id: UUID


class SuggestionsResponse(BaseModel):
    suggestions: list[SuggestionItem]
    query: str


class TermItem(BaseModel):
    term: str
    score: float = Field(description="Weighted count; see the search documentation")
    streams: int = Field(description="Streams or categories the term came from")


class PopularTermsResponse(BaseModel):
    terms: list[TermItem]
    limit: int


class TrendingTermsResponse(BaseModel):
    terms: list[TermItem]
    hours: int
    limit: int
