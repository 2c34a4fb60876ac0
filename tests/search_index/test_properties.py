"""Arbitrary Unicode in every search parameter never produces a server error."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.app import create_app
from core.db import Database
from core.settings import Settings
from search_index.meilisearch import MeilisearchBackend
from search_index.reindex import reindex
from search_index.service import SEARCH_FALLBACKS
from tests.search_index.conftest import LoadedCorpus

SEARCH = "/api/v1/streams/search"

# Surrogates cannot be encoded in a URL, so no client can send them.
unicode_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), max_size=260
)
# Text that looks like search syntax or numbers, mixed with anything.
tricky_text = st.one_of(
    unicode_text,
    st.sampled_from(
        [
            "&",
            "!",
            ":*",
            "|",
            "'",
            '"',
            '"unclosed',
            "-",
            "--",
            "or",
            "OR",
            "a & b | !c",
            "(",
            ")",
            "\\",
            "%",
            "_",
            "\x00",
            "🎮🔥",
            "ä:*",
            "c++",
            "'quoted':*",
            "<->",
            "*:*",
            "the",
            "the of and",
            "1e5",
            "-1",
            "9" * 30,
            "NaN",
            "2026-02-30",
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59-14:00",
            "live",
            "all",
            "ended",
        ]
    ),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
)


def parameter(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str | None]:
    """Absent, a valid value, or anything: valid requests must reach the backends."""
    return st.one_of(st.none(), valid, tricky_text)


def drop_none(params: dict[str, str | None]) -> dict[str, str]:
    return {key: value for key, value in params.items() if value is not None}


query_text = st.one_of(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=200
    ),
    tricky_text,
)
iso_times = st.datetimes(timezones=st.one_of(st.none(), st.timezones())).map(
    lambda value: value.isoformat()
)

search_params = st.fixed_dictionaries(
    {
        "query": query_text,
        "category_id": parameter(st.uuids().map(str)),
        "status_filter": parameter(st.sampled_from(["live", "ended", "all"])),
        "start_date": parameter(iso_times),
        "end_date": parameter(iso_times),
        "page": parameter(st.integers(min_value=1, max_value=120).map(str)),
        "per_page": parameter(st.integers(min_value=1, max_value=100).map(str)),
    }
).map(drop_none)

term_params = st.fixed_dictionaries(
    {
        "query": query_text,
        "limit": parameter(st.integers(min_value=1, max_value=50).map(str)),
        "hours": parameter(st.integers(min_value=1, max_value=168).map(str)),
    }
).map(drop_none)

PROPERTY_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


async def assert_no_server_error(
    client: TestClient, path: str, params: dict[str, str]
) -> None:
    response = await client.get(path, params=params)
    body = await response.read()
    assert response.status < 500, (
        f"{path} {params!r} -> {response.status} {body[:300]!r}"
    )


@pytest.fixture
async def meili_client(
    meili_settings: Settings,
    db: Database,
    aiohttp_client: Any,
    meili_backend: MeilisearchBackend,
    redis_client: Any,
    loaded_corpus: LoadedCorpus,
) -> TestClient:
    await reindex(db, meili_backend, redis_client, meili_settings)
    return await aiohttp_client(create_app(meili_settings, database=db))


def fallback_count() -> float:
    return sum(
        sample.value
        for metric in SEARCH_FALLBACKS.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    )


@PROPERTY_SETTINGS
@given(params=search_params)
async def test_search_never_fails_on_postgres(
    client: TestClient, loaded_corpus: LoadedCorpus, params: dict[str, str]
) -> None:
    await assert_no_server_error(client, SEARCH, params)


@PROPERTY_SETTINGS
@given(
    path=st.sampled_from(["/suggestions", "/popular", "/trending"]), params=term_params
)
async def test_term_endpoints_never_fail_on_postgres(
    client: TestClient, loaded_corpus: LoadedCorpus, path: str, params: dict[str, str]
) -> None:
    await assert_no_server_error(client, SEARCH + path, params)


@PROPERTY_SETTINGS
@given(params=search_params, suggest=term_params)
async def test_search_never_fails_on_meilisearch(
    loaded_corpus: LoadedCorpus,
    meili_client: TestClient,
    params: dict[str, str],
    suggest: dict[str, str],
) -> None:
    fallbacks_before = fallback_count()

    await assert_no_server_error(meili_client, SEARCH, params)
    await assert_no_server_error(meili_client, SEARCH + "/suggestions", suggest)

    # A request Meilisearch rejected would be served by the PostgreSQL fallback and hide the bug.
    assert fallback_count() == fallbacks_before, (
        f"fell back to PostgreSQL for {params!r} {suggest!r}"
    )
