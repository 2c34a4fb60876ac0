"""Fixtures for search tests: the committed corpus loaded into the test database, and
the Meilisearch test double on a loopback port."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from core.clock import utc_now
from core.db import Database
from core.settings import Settings
from core.tables import categories, streams, users
from search_index.meilisearch import MeilisearchBackend
from search_index.postgres import PostgresSearch
from search_index.service import build_meilisearch_backend
from tests.search_index.meili_double import MeilisearchDouble

CORPUS_PATH = Path(__file__).with_name("corpus.json")
MASTER_KEY = "double-master-key"


@pytest.fixture(scope="session")
def corpus() -> dict[str, Any]:
    return json.loads(CORPUS_PATH.read_text(encoding="utf-8"))


@dataclass
class LoadedCorpus:
    """Ids of the loaded rows: streams by corpus key, categories and users by name."""

    now: datetime
    stream_ids: dict[str, uuid.UUID]
    category_ids: dict[str, uuid.UUID]
    user_ids: dict[str, uuid.UUID]

    def key_of(self, stream_id: uuid.UUID) -> str:
        for key, value in self.stream_ids.items():
            if value == stream_id:
                return key
        raise KeyError(stream_id)


async def load_corpus(
    db: Database, data: dict[str, Any], password_hash: str
) -> LoadedCorpus:
    """Insert the corpus with times relative to now; ids are generated here."""
    now = utc_now()
    category_ids = {item["name"]: uuid.uuid4() for item in data["categories"]}
    await db.execute(
        categories.insert().values(
            [
                {
                    "id": category_ids[item["name"]],
                    "name": item["name"],
                    "slug": item["slug"],
                }
                for item in data["categories"]
            ]
        )
    )
    user_ids = {item["username"]: uuid.uuid4() for item in data["streamers"]}
    await db.execute(
        users.insert().values(
            [
                {
                    "id": user_ids[item["username"]],
                    "username": item["username"],
                    "email": f"{item['username']}@example.com",
                    "password_hash": password_hash,
                    "display_name": item["display_name"],
                    "follower_count": item["follower_count"],
                }
                for item in data["streamers"]
            ]
        )
    )
    stream_ids: dict[str, uuid.UUID] = {}
    rows = []
    for item in data["streams"]:
        stream_id = uuid.uuid4()
        stream_ids[item["key"]] = stream_id
        started_at = None
        ended_at = None
        created_at = now - timedelta(days=30)
        if item["started_minutes_ago"] is not None:
            started_at = now - timedelta(minutes=item["started_minutes_ago"])
            created_at = started_at - timedelta(minutes=5)
        if item["status"] == "ended":
            ended_at = started_at + timedelta(minutes=item["duration_minutes"] or 30)
        rows.append(
            {
                "id": stream_id,
                "user_id": user_ids[item["streamer"]],
                "category_id": category_ids[item["category"]],
                "title": item["title"],
                "description": item["description"],
                "status": item["status"],
                "live_input_uid": stream_id.hex,
                "rtmps_url": "rtmps://live.example.test:443/live/",
                "stream_key": f"key-{stream_id.hex}",
                "playback_url": f"https://delivery.example.test/{stream_id.hex}/manifest/video.m3u8",
                "viewer_count": item["viewer_count"],
                "peak_viewer_count": item["peak_viewer_count"],
                "started_at": started_at,
                "ended_at": ended_at,
                "created_at": created_at,
            }
        )
    await db.execute(streams.insert().values(rows))
    return LoadedCorpus(
        now=now, stream_ids=stream_ids, category_ids=category_ids, user_ids=user_ids
    )


@pytest.fixture
async def loaded_corpus(
    db: Database, corpus: dict[str, Any], password_hash: str
) -> LoadedCorpus:
    return await load_corpus(db, corpus, password_hash)


@pytest.fixture
def postgres_search(db: Database) -> PostgresSearch:
    return PostgresSearch(db)


@dataclass
class MeiliDouble:
    state: MeilisearchDouble
    server: TestServer
    url: str


@pytest.fixture
async def meili_double(aiohttp_server: Any) -> MeiliDouble:
    state = MeilisearchDouble(master_key=MASTER_KEY)
    server = await aiohttp_server(state.build_app())
    return MeiliDouble(
        state=state, server=server, url=str(server.make_url("")).rstrip("/")
    )


@pytest.fixture
def meili_settings(base_settings: Settings, meili_double: MeiliDouble) -> Settings:
    return base_settings.model_copy(
        update={
            "meilisearch_url": meili_double.url,
            "meilisearch_api_key": SecretStr(MASTER_KEY),
            "meilisearch_index_prefix": f"test{uuid.uuid4().hex[:8]}",
            "meilisearch_task_timeout_seconds": 5.0,
        }
    )


@pytest.fixture
async def http_session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def meili_backend(
    meili_settings: Settings,
    http_session: aiohttp.ClientSession,
    postgres_search: PostgresSearch,
) -> MeilisearchBackend:
    backend = build_meilisearch_backend(meili_settings, http_session, postgres_search)
    await backend.apply_settings()
    return backend
