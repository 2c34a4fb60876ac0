"""Stream creation: the per-user rate limit and Idempotency-Key handling."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from core.tables import idempotency_keys, streams
from tests.api.streams_support import STREAMS, wait_until
from tests.conftest import bearer


async def count_streams(db) -> int:
    return await db.fetch_value(sa.select(sa.func.count()).select_from(streams))


async def test_rate_limit_allows_ten_per_minute(client, make_user):
    _, key = await make_user()
    _, other_key = await make_user()

    statuses = []
    for index in range(10):
        response = await client.post(
            STREAMS,
            json={"title": f"s{index}"},
            headers={**bearer(key), "X-Forwarded-For": f"10.0.0.{index}"},
        )
        statuses.append(response.status)
        assert response.headers["X-RateLimit-Remaining"] == str(9 - index)
    limited = await client.post(
        STREAMS,
        json={"title": "eleventh"},
        headers={**bearer(key), "X-Forwarded-For": "10.9.9.9"},
    )
    other_user = await client.post(
        STREAMS, json={"title": "other"}, headers=bearer(other_key)
    )

    assert statuses == [201] * 10
    assert limited.status == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.headers["X-RateLimit-Limit"] == "10"
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert 1 <= int(limited.headers["X-RateLimit-Reset"]) <= 60
    assert limited.headers["Content-Type"].startswith("application/problem+json")
    assert other_user.status == 201


async def test_idempotent_create_replays_first_response(
    client, make_user, db, cloudflare_emulator
):
    _, key = await make_user()
    headers = {**bearer(key), "Idempotency-Key": "create-1"}
    body = {"title": "Once", "description": "only one"}

    first = await client.post(STREAMS, json=body, headers=headers)
    inputs_after_first = len(cloudflare_emulator.state.inputs)
    second = await client.post(
        STREAMS, json={"description": "only one", "title": "Once"}, headers=headers
    )

    assert first.status == 201
    assert second.status == 201
    assert await second.json() == await first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert await count_streams(db) == 1
    assert len(cloudflare_emulator.state.inputs) == inputs_after_first


async def test_idempotency_key_with_different_body_is_422(client, make_user, db):
    _, key = await make_user()
    headers = {**bearer(key), "Idempotency-Key": "create-2"}

    first = await client.post(STREAMS, json={"title": "A"}, headers=headers)
    second = await client.post(STREAMS, json={"title": "B"}, headers=headers)

    assert first.status == 201
    assert second.status == 422
    assert await count_streams(db) == 1


async def test_idempotency_key_is_per_user(client, make_user, db):
    _, key = await make_user()
    _, other_key = await make_user()

    first = await client.post(
        STREAMS, json={"title": "A"}, headers={**bearer(key), "Idempotency-Key": "k"}
    )
    second = await client.post(
        STREAMS,
        json={"title": "A"},
        headers={**bearer(other_key), "Idempotency-Key": "k"},
    )

    assert first.status == 201
    assert second.status == 201
    assert (await first.json())["id"] != (await second.json())["id"]


async def test_idempotency_key_in_progress_is_409(
    client, make_user, db, cloudflare_emulator
):
    _, key = await make_user()
    headers = {**bearer(key), "Idempotency-Key": "slow"}
    cloudflare_emulator.state.inject_fault(
        "create_live_input", status=200, times=1, delay_seconds=0.5, body="normal"
    )

    first_task = asyncio.create_task(
        client.post(STREAMS, json={"title": "A"}, headers=headers)
    )

    async def claimed() -> bool:
        return (
            await db.fetch_value(
                sa.select(sa.func.count()).select_from(idempotency_keys)
            )
            > 0
        )

    await wait_until(claimed)
    second = await client.post(STREAMS, json={"title": "A"}, headers=headers)
    first = await first_task

    assert second.status == 409
    assert first.status == 201


async def test_failed_create_releases_idempotency_key(
    client, make_user, db, cloudflare_emulator
):
    _, key = await make_user()
    headers = {**bearer(key), "Idempotency-Key": "retry-me"}
    cloudflare_emulator.state.inject_fault("create_live_input", status=500, times=5)

    failed = await client.post(STREAMS, json={"title": "A"}, headers=headers)
    cloudflare_emulator.state.faults.clear()
    retried = await client.post(STREAMS, json={"title": "A"}, headers=headers)

    assert failed.status == 502
    assert retried.status == 201
    assert await count_streams(db) == 1


async def test_invalid_idempotency_key_is_422(client, make_user):
    _, key = await make_user()

    response = await client.post(
        STREAMS,
        json={"title": "A"},
        headers={**bearer(key), "Idempotency-Key": "x" * 256},
    )

    assert response.status == 422
