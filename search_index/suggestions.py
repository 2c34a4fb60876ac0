"""Ranking and de-duplication of autocomplete suggestions, shared by both backends.

Each backend finds candidates its own way (trigram and prefix indexes, or
Meilisearch prefix search). The popularity of every candidate is read from
PostgreSQL: a live stream's viewer count, a streamer's follower count, and
for a category the viewers of its live streams combined. Suggestions are
ordered by that popularity, then by whether the text starts with what the
user typed, then shorter text first. Texts that differ only in case are
shown once, as the highest-ranked of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from search_index.interfaces import Suggestion

SuggestionKind = Literal["stream", "streamer", "category"]


@dataclass(frozen=True)
class SuggestionCandidate:
    """A text that matched the partial query, before ranking."""

    kind: SuggestionKind
    id: UUID
    text: str


def rank_suggestions(
    typed: str,
    candidates: Iterable[SuggestionCandidate],
    popularity: Mapping[tuple[str, UUID], float],
    limit: int,
) -> list[Suggestion]:
    """Order candidates by popularity and return at most ``limit``, one per text ignoring case."""
    typed_folded = typed.strip().casefold()

    def sort_key(candidate: SuggestionCandidate) -> tuple[float, bool, int, str]:
        score = popularity.get((candidate.kind, candidate.id), 0.0)
        starts = candidate.text.casefold().startswith(typed_folded)
        return (-score, not starts, len(candidate.text), candidate.text.casefold())

    seen: set[str] = set()
    ranked: list[Suggestion] = []
    for candidate in sorted(candidates, key=sort_key):
        folded = candidate.text.strip().casefold()
        if not folded or folded in seen:
            continue
        seen.add(folded)
        score = popularity.get((candidate.kind, candidate.id), 0.0)
        ranked.append(
            Suggestion(
                text=candidate.text, kind=candidate.kind, id=candidate.id, score=score
            )
        )
        if len(ranked) == limit:
            break
    return ranked
