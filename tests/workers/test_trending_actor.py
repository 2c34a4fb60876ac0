"""The rankings actor: trending and rising sets built from the database and chat counts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.clock import utc_now
from core.rising import rising_key
from core.tables import viewer_samples
from core.trending import read_ranking, record_chat_activity, trending_key
from tests.workers.support import insert_stream
from workers.trending import recompute_rankings


async def seed(db, state, make_user, redis_client, settings):
    """Two live streams: a big steady one, and a small new one that grows and chats."""
    now = utc_now()
    big_user, _ = await make_user()
    small_user, _ = await make_user()
    big, _ = await insert_stream(
        db,
        state,
        big_user["id"],
        viewer_count=5000,
        started_at=now - timedelta(hours=6),
    )
    small, _ = await insert_stream(
        db,
        state,
        small_user["id"],
        viewer_count=300,
        started_at=now - timedelta(minutes=5),
    )
    await db.execute(
        viewer_samples.insert().values(
            stream_id=big, sampled_at=now - timedelta(minutes=20), viewer_count=5000
        )
    )
    for _ in range(20):
        await record_chat_activity(redis_client, settings, small, now)
    return big, small, now


async def test_rankings_actor_orders_streams(
    stub_worker, db, redis_client, cloudflare_emulator, make_user
):
    settings = stub_worker.settings
    big, small, now = await seed(
        db, cloudflare_emulator.state, make_user, redis_client, settings
    )

    recompute_rankings.send(now.isoformat())
    recompute_rankings.send(now.isoformat())
    await stub_worker.drain()

    trending, total = await read_ranking(
        redis_client, trending_key(settings, 1, "all"), limit=5
    )
    # small: V = ln 301 / ln 5001 = 0.67, G = 1, F = 0.92, C = 1 -> about 85
    # big:   V = 1, G = 0, F = 0, C = 0                         -> 40
    assert [stream_id for stream_id, _ in trending] == [small, big]
    assert total == 2
    assert trending[1][1] == pytest.approx(40.0)
    rising, _ = await read_ranking(redis_client, rising_key(settings, "all"), limit=5)
    assert rising == [(small, 300.0)]


async def test_rankings_actor_redis_broker(
    redis_worker, db, redis_client, cloudflare_emulator, make_user
):
    settings = redis_worker.settings
    big, small, now = await seed(
        db, cloudflare_emulator.state, make_user, redis_client, settings
    )

    recompute_rankings.send(now.isoformat())
    await redis_worker.drain()

    trending, _ = await read_ranking(
        redis_client, trending_key(settings, 24, "all"), limit=5
    )
    assert [stream_id for stream_id, _ in trending] == [small, big]
