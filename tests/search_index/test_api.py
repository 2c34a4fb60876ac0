"""The search endpoints over HTTP, on the PostgreSQL backend."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from core.tables import categories
from search_index.postgres import PostgresSearch
from tests.search_index.conftest import LoadedCorpus

SEARCH = "/api/v1/streams/search"


@pytest.fixture
async def corpus_client(
    client: TestClient, loaded_corpus: LoadedCorpus
) -> tuple[TestClient, LoadedCorpus]:
    return client, loaded_corpus


async def test_search_returns_stream_cards(
    corpus_client: tuple[TestClient, LoadedCorpus],
) -> None:
    client, corpus = corpus_client

    response = await client.get(SEARCH, params={"query": "rust async runtime"})

    assert response.status == 200
    body = await response.json()
    assert body["streams"][0]["id"] == str(corpus.stream_ids["rust-tokio"])
    assert body["streams"][0]["streamer"]["username"] == "ferris_crab"
    assert body["streams"][0]["status"] == "live"
    assert body["total"] >= 1
    assert body["page"] == 1
    assert body["per_page"] == 20
    assert body["query"] == "rust async runtime"
    assert "stream_key" not in body["streams"][0]


async def test_search_paginates(corpus_client: tuple[TestClient, LoadedCorpus]) -> None:
    client, _ = corpus_client

    first = await (
        await client.get(SEARCH, params={"query": "chess", "per_page": "2"})
    ).json()
    second = await (
        await client.get(
            SEARCH, params={"query": "chess", "per_page": "2", "page": "2"}
        )
    ).json()

    assert first["total"] >= 4
    assert first["has_more"] is True
    assert len(first["streams"]) == 2
    first_ids = {item["id"] for item in first["streams"]}
    second_ids = {item["id"] for item in second["streams"]}
    assert not first_ids & second_ids


async def test_search_hides_offline_streams(
    corpus_client: tuple[TestClient, LoadedCorpus], corpus: dict
) -> None:
    client, loaded = corpus_client
    offline = next(item for item in corpus["streams"] if item["status"] == "offline")

    body = await (
        await client.get(SEARCH, params={"query": offline["title"], "per_page": "100"})
    ).json()

    assert str(loaded.stream_ids[offline["key"]]) not in {
        item["id"] for item in body["streams"]
    }


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"query": ""},
        {"query": "x" * 201},
        {"query": "ok", "per_page": "101"},
        {"query": "ok", "per_page": "0"},
        {"query": "ok", "page": "0"},
        {"query": "ok", "page": "101", "per_page": "100"},
        {"query": "ok", "status_filter": "offline"},
        {"query": "ok", "category_id": "not-a-uuid"},
        {"query": "ok", "start_date": "yesterday"},
        {
            "query": "ok",
            "start_date": "2026-02-01T00:00:00Z",
            "end_date": "2026-01-01T00:00:00Z",
        },
    ],
)
async def test_search_rejects_out_of_range(
    client: TestClient, params: dict[str, str]
) -> None:
    response = await client.get(SEARCH, params=params)

    assert response.status == 422
    assert response.content_type == "application/problem+json"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"query": "ok", "page": "101", "per_page": "100"}, "page"),
        (
            {
                "query": "ok",
                "start_date": "2026-02-01T00:00:00Z",
                "end_date": "2026-01-01T00:00:00Z",
            },
            "end_date",
        ),
        ({"query": "ok", "per_page": "0"}, "per_page"),
    ],
)
async def test_search_422_names_field(
    client: TestClient, params: dict[str, str], field: str
) -> None:
    response = await client.get(SEARCH, params=params)

    problem = await response.json()
    assert [error["field"] for error in problem["errors"]] == [field]
    assert field in problem["detail"]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/suggestions", {}),
        ("/suggestions", {"query": "x" * 101}),
        ("/suggestions", {"query": "py", "limit": "21"}),
        ("/suggestions", {"query": "py", "limit": "0"}),
        ("/popular", {"limit": "51"}),
        ("/popular", {"limit": "0"}),
        ("/trending", {"hours": "169"}),
        ("/trending", {"hours": "0"}),
        ("/trending", {"limit": "51"}),
    ],
)
async def test_term_endpoints_reject_out_of_range(
    client: TestClient, path: str, params: dict[str, str]
) -> None:
    response = await client.get(SEARCH + path, params=params)

    assert response.status == 422


async def test_suggestions_rank_by_popularity(
    corpus_client: tuple[TestClient, LoadedCorpus],
) -> None:
    client, corpus = corpus_client

    body = await (
        await client.get(
            SEARCH + "/suggestions", params={"query": "tourn", "limit": "5"}
        )
    ).json()

    texts = [item["text"] for item in body["suggestions"]]
    # The chess tournament has 3300 live viewers, the Valorant one 900.
    assert texts[:2] == [
        "Online tournament commentary",
        "Valorant community tournament",
    ]
    assert body["suggestions"][0]["type"] == "stream"
    assert body["suggestions"][0]["id"] == str(
        corpus.stream_ids["chess-tournament-live"]
    )


async def test_suggestions_deduplicate_ignoring_case(
    client: TestClient, db: Any, make_user: Any
) -> None:
    await db.execute(categories.insert().values(name="Minecraft", slug="minecraft"))
    await make_user("minecraft", display_name="MINECRAFT", follower_count=10)

    body = await (
        await client.get(SEARCH + "/suggestions", params={"query": "minec"})
    ).json()

    texts = [item["text"].casefold() for item in body["suggestions"]]
    assert texts == ["minecraft"]


async def test_suggestions_short_input_uses_prefix(
    corpus_client: tuple[TestClient, LoadedCorpus],
) -> None:
    client, _ = corpus_client

    body = await (
        await client.get(SEARCH + "/suggestions", params={"query": "gm", "limit": "20"})
    ).json()

    texts = [item["text"] for item in body["suggestions"]]
    assert "gm_katarina" in texts
    assert all(text.casefold().startswith("gm") for text in texts)


async def test_popular_terms_come_from_live_streams(
    corpus_client: tuple[TestClient, LoadedCorpus],
) -> None:
    client, _ = corpus_client

    body = await (await client.get(SEARCH + "/popular", params={"limit": "50"})).json()

    terms = [item["term"] for item in body["terms"]]
    assert body["limit"] == 50
    assert len(terms) == 50
    # Top live stream: "Online tournament commentary" (3300 viewers), category Chess.
    assert "tournament" in terms[:5]
    assert "chess" in terms[:5]
    for stop_word in ("the", "a", "of", "and", "to"):
        assert stop_word not in terms
    assert all(term.replace(" ", "").replace("'", "").isalnum() for term in terms)


async def test_trending_terms_respect_window(
    corpus_client: tuple[TestClient, LoadedCorpus], postgres_search: PostgresSearch
) -> None:
    client, _ = corpus_client

    one_hour = await (
        await client.get(SEARCH + "/trending", params={"hours": "1", "limit": "50"})
    ).json()
    week = await postgres_search.trending_terms(hours=168, limit=10_000)

    hour_terms = {item["term"] for item in one_hour["terms"]}
    week_terms = {item.term for item in week}
    # "executor" starts 35 minutes ago, "sicilian" 600 minutes ago.
    assert "executor" in hour_terms
    assert "sicilian" not in hour_terms
    assert "sicilian" in week_terms
    assert one_hour["hours"] == 1
