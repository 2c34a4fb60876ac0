"""The search interface both backends implement, and the values it exchanges."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol
from uuid import UUID

StatusFilter = Literal["live", "ended", "all"]

#: Statuses that public search covers; streams never started are private.
SEARCHABLE_STATUSES: dict[StatusFilter, tuple[str, ...]] = {
    "live": ("live",),
    "ended": ("ended",),
    "all": ("live", "ended"),
}

#: Deepest result a search may page to. Meilisearch stops at its
#: ``maxTotalHits`` setting and PostgreSQL pays for every skipped row, so the
#: API rejects ``page * per_page`` beyond this with 422.
MAX_SEARCH_WINDOW = 10_000


@dataclass(frozen=True)
class StreamQuery:
    """A validated stream search: free text, filters and one page."""

    text: str
    category_id: UUID | None = None
    status: StatusFilter = "all"
    started_after: datetime | None = None
    started_before: datetime | None = None
    page: int = 1
    per_page: int = 20

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


@dataclass(frozen=True)
class SearchHits:
    """One page of matching stream ids, best first, and the number of matches."""

    ids: Sequence[UUID]
    total: int


@dataclass(frozen=True)
class Suggestion:
    """One completion: the text to show and the kind of thing it names."""

    text: str
    kind: Literal["stream", "streamer", "category"]
    id: UUID
    score: float


@dataclass(frozen=True)
class SearchTerm:
    """A popular or trending term with its score and the number of sources."""

    term: str
    score: float
    sources: int


class SearchBackend(Protocol):
    """Full-text search over streams, with suggestions and search terms."""

    name: str

    async def search_streams(self, query: StreamQuery) -> SearchHits:
        """Return one page of stream ids: live first, then relevance, then recency."""
        ...

    async def suggest(self, text: str, limit: int) -> list[Suggestion]:
        """Complete ``text`` from stream titles, streamer names and category names."""
        ...

    async def popular_terms(self, limit: int) -> list[SearchTerm]:
        """Return terms from live streams with many viewers and popular categories."""
        ...

    async def trending_terms(self, hours: int, limit: int) -> list[SearchTerm]:
        """Return terms from streams started within the last ``hours``."""
        ...


class SearchIndex(Protocol):
    """An index that stores documents; PostgreSQL's is kept by triggers instead."""

    async def index_documents(
        self, kind: str, documents: Sequence[dict[str, Any]]
    ) -> None:
        """Add or replace ``documents`` in the index for ``kind``."""
        ...

    async def delete_documents(self, kind: str, ids: Sequence[str]) -> None:
        """Remove the documents with ``ids`` from the index for ``kind``."""
        ...
