"""Schemas shared by several resources: pagination."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.http import InvalidField
from core.db import MAX_LIST_DEPTH

MAX_PER_PAGE = 100


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    page: int = Field(default=1, ge=1, le=100_000, description="Page number, from 1")
    per_page: int = Field(
        default=20, ge=1, le=MAX_PER_PAGE, description="Items per page (max 100)"
    )

    @model_validator(mode="after")
    def _check_depth(self) -> PageQuery:
        # Pages are read with OFFSET, whose cost grows with the depth, so the
        # depth is bounded: narrow the filters to reach older items.
        if self.page * self.per_page > MAX_LIST_DEPTH:
            raise InvalidField(
                "page",
                f"page {self.page} with per_page {self.per_page} reaches past item "
                f"{MAX_LIST_DEPTH}; narrow the filters instead of paging deeper",
            )
        return self

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
