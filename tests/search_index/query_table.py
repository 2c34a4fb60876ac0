"""Run the corpus's query table against any search backend."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from search_index.interfaces import SearchBackend, StreamQuery
from tests.search_index.conftest import LoadedCorpus


def build_query(case: dict[str, Any], corpus: LoadedCorpus) -> StreamQuery:
    started_after = None
    started_before = None
    if "start_minutes_ago" in case:
        started_after = corpus.now - timedelta(minutes=case["start_minutes_ago"])
    if "end_minutes_ago" in case:
        started_before = corpus.now - timedelta(minutes=case["end_minutes_ago"])
    category = case.get("category")
    return StreamQuery(
        text=case["query"],
        category_id=corpus.category_ids[category] if category else None,
        status=case.get("status_filter", "all"),
        started_after=started_after,
        started_before=started_before,
        per_page=20,
    )


async def ranked_keys(
    backend: SearchBackend, case: dict[str, Any], corpus: LoadedCorpus
) -> list[str]:
    hits = await backend.search_streams(build_query(case, corpus))
    return [corpus.key_of(stream_id) for stream_id in hits.ids]


def check_case(case: dict[str, Any], keys: list[str]) -> None:
    expected = case["first"]
    assert keys[: len(expected)] == expected, (
        f"{case['name']}: query {case['query']!r} ranked {keys[:6]}"
    )
    if case.get("only"):
        assert keys == expected, (
            f"{case['name']}: query {case['query']!r} also matched {keys[len(expected) :]}"
        )
