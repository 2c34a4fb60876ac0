"""GET /api/v1/streams/trending and /rising, read from the stored rankings."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.clock import utc_now
from core.rising import recompute_rising
from core.tables import streams, users, viewer_samples
from core.trending import load_live_snapshots, recompute_trending
from tests.workers.support import insert_category, insert_stream

TRENDING = "/api/v1/streams/trending"
RISING = "/api/v1/streams/rising"


async def rank(db, redis_client, settings):
    now = utc_now()
    snapshots = await load_live_snapshots(db, {}, now=now)
    await recompute_trending(db, redis_client, settings, snapshots, now=now)
    await recompute_rising(redis_client, settings, snapshots)


async def seed(db, state, make_user):
    """A big old stream in Music, a small fresh one in Games, and a veteran's growing one."""
    now = utc_now()
    music = await insert_category(db, "Music")
    games = await insert_category(db, "Games")
    big_user, _ = await make_user()
    fresh_user, _ = await make_user()
    veteran, _ = await make_user(total_stream_seconds=500 * 3600)
    big, _ = await insert_stream(
        db,
        state,
        big_user["id"],
        viewer_count=900,
        category_id=music,
        started_at=now - timedelta(hours=5),
    )
    fresh, _ = await insert_stream(
        db,
        state,
        fresh_user["id"],
        viewer_count=120,
        category_id=games,
        started_at=now - timedelta(minutes=10),
    )
    grown, _ = await insert_stream(
        db,
        state,
        veteran["id"],
        viewer_count=600,
        category_id=games,
        started_at=now - timedelta(hours=3),
    )
    await db.execute(
        viewer_samples.insert().values(
            [
                {
                    "stream_id": big,
                    "sampled_at": now - timedelta(minutes=20),
                    "viewer_count": 900,
                },
                {
                    "stream_id": grown,
                    "sampled_at": now - timedelta(minutes=20),
                    "viewer_count": 100,
                },
            ]
        )
    )
    return {"big": big, "fresh": fresh, "grown": grown, "music": music, "games": games}


async def test_trending_orders_by_score(
    client, db, redis_client, settings, cloudflare_emulator, make_user
):
    ids = await seed(db, cloudflare_emulator.state, make_user)
    await rank(db, redis_client, settings)

    response = await client.get(TRENDING)

    assert response.status == 200
    body = await response.json()
    order = [item["stream"]["id"] for item in body["streams"]]
    assert order == [str(ids["fresh"]), str(ids["grown"]), str(ids["big"])]
    # fresh: V = ln 121 / ln 901 = 0.705, G = 1, F = 1 - 10/60 -> 74.9
    # grown: V = ln 601 / ln 901 = 0.940, G = ln(601/101) / ln 121 = 0.372 -> 48.8
    # big:   V = 1 -> 40.0
    # Freshness keeps decaying while the test runs, hence the tolerance.
    scores = [item["trending_score"] for item in body["streams"]]
    assert scores[0] == pytest.approx(74.9, abs=0.2)
    assert scores[1] == 48.8
    assert scores[2] == 40.0
    assert body["total"] == 3
    assert body["limit"] == 10
    assert body["time_window_hours"] == 1
    assert "ingest" not in body["streams"][0]["stream"]
    assert body["streams"][0]["stream"]["streamer"]["username"]


async def test_trending_category_and_limit(
    client, db, redis_client, settings, cloudflare_emulator, make_user
):
    ids = await seed(db, cloudflare_emulator.state, make_user)
    await rank(db, redis_client, settings)

    response = await client.get(
        TRENDING, params={"category_id": str(ids["games"]), "limit": 1}
    )

    body = await response.json()
    assert [item["stream"]["id"] for item in body["streams"]] == [str(ids["fresh"])]
    assert body["total"] == 2


async def test_trending_skips_ended_streams(
    client, db, redis_client, settings, cloudflare_emulator, make_user
):
    ids = await seed(db, cloudflare_emulator.state, make_user)
    await rank(db, redis_client, settings)
    await db.execute(
        streams.update().where(streams.c.id == ids["grown"]).values(status="ended")
    )

    response = await client.get(TRENDING)

    body = await response.json()
    assert [item["stream"]["id"] for item in body["streams"]] == [
        str(ids["fresh"]),
        str(ids["big"]),
    ]


async def test_trending_rejects_bad_window(client):
    response = await client.get(TRENDING, params={"time_window": 25})

    assert response.status == 422
    body = await response.json()
    assert body["errors"][0]["field"] == "time_window"


async def test_trending_empty_before_first_run(client, db):
    response = await client.get(TRENDING)

    assert response.status == 200
    assert (await response.json())["streams"] == []


async def test_rising_excludes_veterans(
    client, db, redis_client, settings, cloudflare_emulator, make_user
):
    ids = await seed(db, cloudflare_emulator.state, make_user)
    await rank(db, redis_client, settings)

    response = await client.get(RISING)

    assert response.status == 200
    body = await response.json()
    # The veteran grew most but has 500 hours; the big stream did not grow.
    assert [item["stream"]["id"] for item in body["streams"]] == [str(ids["fresh"])]
    assert body["streams"][0]["viewer_growth"] == 120
    assert body["streams"][0]["total_stream_hours"] == 0
    assert body["max_stream_hours"] == settings.rising_max_stream_hours


async def test_rising_category_filter(
    client, db, redis_client, settings, cloudflare_emulator, make_user
):
    ids = await seed(db, cloudflare_emulator.state, make_user)
    await db.execute(users.update().values(total_stream_seconds=0))
    await rank(db, redis_client, settings)

    games = await (
        await client.get(RISING, params={"category_id": str(ids["games"])})
    ).json()
    music = await (
        await client.get(RISING, params={"category_id": str(ids["music"])})
    ).json()

    assert [item["stream"]["id"] for item in games["streams"]] == [
        str(ids["grown"]),
        str(ids["fresh"]),
    ]
    assert music["streams"] == []
    count = await db.fetch_value(sa.select(sa.func.count()).select_from(streams))
    assert count == 3
