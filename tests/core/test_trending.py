"""Trending formula on hand-computed cases, chat activity, snapshots and stored rankings."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from core.rising import recompute_rising, rising_key
from core.tables import users, viewer_samples
from core.trending import (
    LiveStreamSnapshot,
    chat_message_counts,
    load_live_snapshots,
    read_ranking,
    recompute_trending,
    record_chat_activity,
    remove_from_rankings,
    trending_key,
    trending_scores,
)
from tests.workers.support import insert_category, insert_stream

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def snapshot(
    viewers: int,
    base: int,
    *,
    age: timedelta,
    chat: int = 0,
    category_id: uuid.UUID | None = None,
    stream_seconds: int = 0,
) -> LiveStreamSnapshot:
    return LiveStreamSnapshot(
        stream_id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        category_id=category_id,
        started_at=NOW - age,
        viewer_count=viewers,
        viewers_growth_base=base,
        chat_messages=chat,
        total_stream_seconds=stream_seconds,
    )


def test_trending_scores_two_streams() -> None:
    # A: V = 1, G = 0, F = 0.5, C = 0   -> 100 * (0.4 + 0.1)             = 50
    # B: V = ln 10 / ln 100 = 0.5, G = 1, F = 1, C = 1
    #                                   -> 100 * (0.2 + 0.3 + 0.2 + 0.1) = 80
    a = snapshot(99, 99, age=timedelta(minutes=30))
    b = snapshot(9, 0, age=timedelta(0), chat=10)

    scores = trending_scores([a, b], now=NOW, time_window=timedelta(hours=1))

    assert scores[a.stream_id] == pytest.approx(50.0)
    assert scores[b.stream_id] == pytest.approx(80.0)


def test_trending_scores_window_changes_freshness() -> None:
    # With a 2-hour window A is 30 of 120 minutes old: F = 0.75 -> 40 + 15 = 55.
    a = snapshot(99, 99, age=timedelta(minutes=30))
    b = snapshot(9, 0, age=timedelta(0), chat=10)

    scores = trending_scores([a, b], now=NOW, time_window=timedelta(hours=2))

    assert scores[a.stream_id] == pytest.approx(55.0)
    assert scores[b.stream_id] == pytest.approx(80.0)


def test_trending_scores_growth_is_log_ratio() -> None:
    # C doubles from 100 to 200; D doubles from 1000 to 2000: same growth.
    # D has the most viewers (V = 1); C has V = ln 201 / ln 2001.
    c = snapshot(200, 100, age=timedelta(hours=5))
    d = snapshot(2000, 1000, age=timedelta(hours=5))

    scores = trending_scores([c, d], now=NOW, time_window=timedelta(hours=1))

    growth = math.log(201) - math.log(101)
    other = math.log(2001) - math.log(1001)
    assert scores[d.stream_id] == pytest.approx(
        100 * (0.4 + 0.3 * other / max(growth, other))
    )
    assert scores[c.stream_id] == pytest.approx(
        100 * (0.4 * math.log(201) / math.log(2001) + 0.3 * growth / max(growth, other))
    )


def test_trending_scores_losing_viewers_counts_no_growth() -> None:
    falling = snapshot(50, 500, age=timedelta(hours=3))
    steady = snapshot(50, 50, age=timedelta(hours=3))

    scores = trending_scores([falling, steady], now=NOW, time_window=timedelta(hours=1))

    # Both have V = 1 and nothing else: growth never goes below 0.
    assert scores[falling.stream_id] == pytest.approx(40.0)
    assert scores[steady.stream_id] == pytest.approx(40.0)


def test_trending_scores_all_zero_inputs() -> None:
    idle = snapshot(0, 0, age=timedelta(hours=2))

    scores = trending_scores([idle], now=NOW, time_window=timedelta(hours=1))

    assert scores[idle.stream_id] == 0.0


def test_trending_scores_bounds() -> None:
    streams = [
        snapshot(v, v // 3, age=timedelta(minutes=v), chat=v % 7)
        for v in range(0, 400, 13)
    ]

    scores = trending_scores(streams, now=NOW, time_window=timedelta(hours=1))

    assert min(scores.values()) >= 0.0
    assert max(scores.values()) <= 100.0


async def test_chat_activity_window(redis_client, base_settings) -> None:
    stream_id = uuid.uuid4()
    other = uuid.uuid4()
    for minutes_ago in (0, 0, 3, 9):
        await record_chat_activity(
            redis_client, base_settings, stream_id, NOW - timedelta(minutes=minutes_ago)
        )
    # Eleven minutes ago is outside the ten-minute window.
    await record_chat_activity(
        redis_client, base_settings, stream_id, NOW - timedelta(minutes=11)
    )
    await record_chat_activity(redis_client, base_settings, other, NOW)

    counts = await chat_message_counts(redis_client, base_settings, now=NOW)

    assert counts == {stream_id: 4, other: 1}


async def test_snapshot_growth_base_from_samples(
    db, cloudflare_emulator, make_user
) -> None:
    state = cloudflare_emulator.state
    old_user, _ = await make_user()
    new_user, _ = await make_user()
    now = datetime.now(UTC)
    old_stream, _ = await insert_stream(
        db, state, old_user["id"], viewer_count=80, started_at=now - timedelta(hours=2)
    )
    new_stream, _ = await insert_stream(
        db,
        state,
        new_user["id"],
        viewer_count=15,
        started_at=now - timedelta(minutes=10),
    )
    unsampled, _ = await insert_stream(
        db,
        state,
        (await make_user())[0]["id"],
        viewer_count=33,
        started_at=now - timedelta(hours=1),
    )
    await db.execute(
        viewer_samples.insert().values(
            [
                {
                    "stream_id": old_stream,
                    "sampled_at": now - timedelta(minutes=40),
                    "viewer_count": 10,
                },
                {
                    "stream_id": old_stream,
                    "sampled_at": now - timedelta(minutes=25),
                    "viewer_count": 20,
                },
                {"stream_id": old_stream, "sampled_at": now, "viewer_count": 80},
                {
                    "stream_id": new_stream,
                    "sampled_at": now - timedelta(minutes=5),
                    "viewer_count": 12,
                },
            ]
        )
    )

    snapshots = {
        s.stream_id: s for s in await load_live_snapshots(db, {new_stream: 3}, now=now)
    }

    assert snapshots[old_stream].viewers_growth_base == 20
    assert snapshots[new_stream].viewers_growth_base == 0
    assert snapshots[unsampled].viewers_growth_base == 33
    assert snapshots[new_stream].chat_messages == 3
    assert snapshots[old_stream].chat_messages == 0


async def test_recompute_trending_scopes(db, redis_client, base_settings) -> None:
    music = uuid.uuid4()
    games = uuid.uuid4()
    big = snapshot(1000, 1000, age=timedelta(hours=3), category_id=music)
    small = snapshot(10, 10, age=timedelta(hours=3), category_id=music)
    other = snapshot(100, 100, age=timedelta(hours=3), category_id=games)

    await recompute_trending(
        db, redis_client, base_settings, [big, small, other], now=NOW
    )

    ranking, total = await read_ranking(
        redis_client, trending_key(base_settings, 1, "all"), limit=10
    )
    assert [stream_id for stream_id, _ in ranking] == [
        big.stream_id,
        other.stream_id,
        small.stream_id,
    ]
    assert total == 3
    music_ranking, music_total = await read_ranking(
        redis_client, trending_key(base_settings, 24, f"category:{music}"), limit=10
    )
    assert [stream_id for stream_id, _ in music_ranking] == [
        big.stream_id,
        small.stream_id,
    ]
    assert music_total == 2

    # The games stream ends: its category ranking disappears on the next run.
    await recompute_trending(db, redis_client, base_settings, [big, small], now=NOW)
    assert not await redis_client.exists(
        trending_key(base_settings, 1, f"category:{games}")
    )
    assert not await redis_client.exists(
        f"{trending_key(base_settings, 1, f'category:{music}')}:staging"
    )


async def test_remove_from_rankings(db, redis_client, base_settings) -> None:
    stream = snapshot(10, 1, age=timedelta(minutes=5))
    await recompute_trending(db, redis_client, base_settings, [stream], now=NOW)
    await recompute_rising(redis_client, base_settings, [stream])

    changed = await remove_from_rankings(redis_client, base_settings, stream.stream_id)

    assert changed == 25  # 24 trending windows and the rising set
    assert await redis_client.zcard(trending_key(base_settings, 1, "all")) == 0


async def test_rising_excludes_veterans_and_losers(redis_client, base_settings) -> None:
    newcomer = snapshot(60, 10, age=timedelta(hours=1), stream_seconds=3600)
    faster = snapshot(500, 100, age=timedelta(hours=1), stream_seconds=0)
    veteran = snapshot(5000, 10, age=timedelta(hours=1), stream_seconds=60 * 3600)
    falling = snapshot(5, 50, age=timedelta(hours=1))

    ranked = await recompute_rising(
        redis_client, base_settings, [newcomer, faster, veteran, falling]
    )

    assert ranked == 2
    ranking, _ = await read_ranking(
        redis_client, rising_key(base_settings, "all"), limit=10
    )
    assert ranking == [(faster.stream_id, 400.0), (newcomer.stream_id, 50.0)]


async def test_snapshot_reads_stream_hours(db, cloudflare_emulator, make_user) -> None:
    user, _ = await make_user()
    await db.execute(
        users.update().where(users.c.id == user["id"]).values(total_stream_seconds=7200)
    )
    category = await insert_category(db, "Music")
    stream_id, _ = await insert_stream(
        db, cloudflare_emulator.state, user["id"], category_id=category
    )

    (only,) = await load_live_snapshots(db, {}, now=datetime.now(UTC))

    assert only.stream_id == stream_id
    assert only.total_stream_seconds == 7200
    assert only.category_id == category
    assert (
        await db.fetch_value(sa.select(sa.func.count()).select_from(viewer_samples))
        == 0
    )
