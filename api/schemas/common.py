"""Schemas shared by several resources: pagination and the embedded user card."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

MAX_PER_PAGE = 100


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    page: int = Field(default=1, ge=1, le=100_000, description="Page number, from 1")
    per_page: int = Field(
        default=20, ge=1, le=MAX_PER_PAGE, description="Items per page (max 100)"
    )

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def page_envelope(key: str, items: list, *, total: int, query: PageQuery) -> dict:
    """Build the list body: items under ``key`` plus total, page, per_page and has_more."""
    return {
        key: items,
        "total": total,
        "page": query.page,
        "per_page": query.per_page,
        "has_more": query.offset + len(items) < total,
    }
