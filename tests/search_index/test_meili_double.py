"""The Meilisearch test double behaves like the endpoints the client relies on."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from search_index.meili_client import (
    MeilisearchClient,
    MeilisearchError,
    MeilisearchTaskFailed,
)
from tests.search_index.conftest import MASTER_KEY, MeiliDouble


def make_client(
    session: aiohttp.ClientSession, double: MeiliDouble, key: str | None = MASTER_KEY
) -> MeilisearchClient:
    return MeilisearchClient(
        session, double.url, key, timeout_seconds=2.0, task_timeout_seconds=2.0
    )


async def test_double_checks_bearer_key(
    meili_double: MeiliDouble, http_session: aiohttp.ClientSession
) -> None:
    anonymous = make_client(http_session, meili_double, key=None)
    wrong = make_client(http_session, meili_double, key="wrong")

    with pytest.raises(MeilisearchError) as missing:
        await anonymous.request("GET", "/indexes")
    with pytest.raises(MeilisearchError) as invalid:
        await wrong.request("GET", "/indexes")

    assert missing.value.http_status == 401
    assert missing.value.code == "missing_authorization_header"
    assert invalid.value.http_status == 403
    assert invalid.value.code == "invalid_api_key"
    assert await anonymous.health() is True


async def test_double_tasks_go_from_enqueued_to_succeeded(
    meili_double: MeiliDouble, http_session: aiohttp.ClientSession
) -> None:
    client = make_client(http_session, meili_double)

    meili_double.state.paused = True
    summary = await client.request(
        "POST", "/indexes", json={"uid": "movies", "primaryKey": "id"}
    )
    first_look = await client.request("GET", f"/tasks/{summary['taskUid']}")
    meili_double.state.resume()
    finished = await client.wait_for_task(summary["taskUid"])

    assert summary["status"] == "enqueued"
    assert first_look["status"] == "enqueued"
    assert finished["status"] == "succeeded"
    with pytest.raises(MeilisearchTaskFailed) as duplicate:
        await client.run_task("POST", "/indexes", json={"uid": "movies"})
    assert duplicate.value.code == "index_already_exists"


async def test_double_search_filters_sorts_and_tolerates_typos(
    meili_double: MeiliDouble, http_session: aiohttp.ClientSession
) -> None:
    client = make_client(http_session, meili_double)
    await client.update_settings(
        "games",
        {
            "searchableAttributes": ["title"],
            "filterableAttributes": ["status", "viewers"],
            "sortableAttributes": ["viewers"],
        },
    )
    await client.add_documents(
        "games",
        [
            {
                "id": "1",
                "title": "Minecraft castle build",
                "status": "live",
                "viewers": 10,
            },
            {"id": "2", "title": "Minecraft hardcore", "status": "live", "viewers": 50},
            {
                "id": "3",
                "title": "Minecraft redstone",
                "status": "ended",
                "viewers": 99,
            },
        ],
    )

    typo = await client.search(
        "games",
        {"q": "minecarft", "filter": 'status = "live"', "sort": ["viewers:desc"]},
    )
    ranged = await client.search(
        "games", {"q": "mine", "filter": "viewers >= 20 AND viewers < 99"}
    )
    membership = await client.search(
        "games", {"q": "minecraft", "filter": 'status IN ["ended"]'}
    )

    assert [hit["id"] for hit in typo["hits"]] == ["2", "1"]
    assert [hit["id"] for hit in ranged["hits"]] == ["2"]
    assert [hit["id"] for hit in membership["hits"]] == ["3"]
    with pytest.raises(MeilisearchError) as unfilterable:
        await client.search("games", {"q": "x", "filter": 'title = "x"'})
    assert unfilterable.value.code == "invalid_search_filter"


async def test_double_paused_tasks_hide_documents(
    meili_double: MeiliDouble, http_session: aiohttp.ClientSession
) -> None:
    client = make_client(http_session, meili_double)
    await client.ensure_index("notes")
    meili_double.state.paused = True

    summary = await client.request(
        "POST", "/indexes/notes/documents", json=[{"id": "1", "text": "hello"}]
    )
    await asyncio.sleep(0.05)
    hidden = await client.search("notes", {"q": "hello"})
    meili_double.state.resume()
    await client.wait_for_task(summary["taskUid"])
    shown = await client.search("notes", {"q": "hello"})

    assert hidden["hits"] == []
    assert [hit["id"] for hit in shown["hits"]] == ["1"]
