"""Viewer sampling actors through a StubBroker and through a real Redis broker."""

from __future__ import annotations

import sqlalchemy as sa
from prometheus_client import REGISTRY

from core.clock import utc_now
from core.tables import viewer_samples
from tests.workers.support import insert_stream, stream_row
from workers.viewers import sample_viewer_counts


def read_failures() -> float:
    return REGISTRY.get_sample_value("viewer_count_read_failures_total") or 0.0


async def sample_count(db) -> int:
    return await db.fetch_value(sa.select(sa.func.count()).select_from(viewer_samples))


async def test_sampling_actor_updates_live_streams(
    stub_worker, db, cloudflare_emulator, make_user
):
    state = cloudflare_emulator.state
    ids = []
    for viewers in (5, 17, 230):
        user, _ = await make_user()
        stream_id, _ = await insert_stream(db, state, user["id"], viewers=viewers)
        ids.append(stream_id)
    offline_user, _ = await make_user()
    offline, _ = await insert_stream(
        db, state, offline_user["id"], status="offline", viewers=9
    )
    tick = utc_now().replace(microsecond=0)

    sample_viewer_counts.send(tick.isoformat())
    await stub_worker.drain()

    rows = [await stream_row(db, stream_id) for stream_id in ids]
    assert [row["viewer_count"] for row in rows] == [5, 17, 230]
    assert [row["peak_viewer_count"] for row in rows] == [5, 17, 230]
    assert all(row["viewer_count_sampled_at"] == tick for row in rows)
    assert (await stream_row(db, offline))["viewer_count"] == 0
    assert await sample_count(db) == 3


async def test_sampling_actor_duplicate_tick(
    stub_worker, db, cloudflare_emulator, make_user
):
    state = cloudflare_emulator.state
    user, _ = await make_user()
    stream_id, uid = await insert_stream(db, state, user["id"], viewers=40)
    tick = utc_now().replace(microsecond=0).isoformat()

    sample_viewer_counts.send(tick)
    await stub_worker.drain()
    state.set_viewers(uid, 41)
    # The same tick delivered again records nothing new.
    sample_viewer_counts.send(tick)
    await stub_worker.drain()

    assert (await stream_row(db, stream_id))["viewer_count"] == 40
    assert await sample_count(db) == 1


async def test_sampling_actor_one_cloudflare_failure(
    stub_worker, db, cloudflare_emulator, make_user
):
    state = cloudflare_emulator.state
    healthy_user, _ = await make_user()
    broken_user, _ = await make_user()
    healthy, _ = await insert_stream(db, state, healthy_user["id"], viewers=12)
    broken, broken_uid = await insert_stream(
        db, state, broken_user["id"], viewers=99, viewer_count=50
    )
    state.delete_input(broken_uid)
    failures_before = read_failures()

    sample_viewer_counts.send(utc_now().isoformat())
    await stub_worker.drain()

    assert (await stream_row(db, healthy))["viewer_count"] == 12
    broken_row = await stream_row(db, broken)
    assert broken_row["viewer_count"] == 50
    assert broken_row["viewer_count_sampled_at"] is None
    assert read_failures() - failures_before == 1


async def test_sampling_actor_server_error(
    stub_worker, db, cloudflare_emulator, make_user
):
    state = cloudflare_emulator.state
    user, _ = await make_user()
    stream_id, _ = await insert_stream(db, state, user["id"], viewers=8, viewer_count=3)
    # More failures than the client's retries: the read fails for this tick.
    state.inject_fault("views", status=503, times=5)

    sample_viewer_counts.send(utc_now().isoformat())
    await stub_worker.drain()

    assert (await stream_row(db, stream_id))["viewer_count"] == 3
    assert await sample_count(db) == 0


async def test_sampling_actor_redis_broker(
    redis_worker, db, cloudflare_emulator, make_user
):
    state = cloudflare_emulator.state
    ids = []
    for viewers in (1, 2, 3):
        user, _ = await make_user()
        stream_id, _ = await insert_stream(db, state, user["id"], viewers=viewers)
        ids.append(stream_id)

    sample_viewer_counts.send(utc_now().isoformat())
    await redis_worker.drain()

    assert [(await stream_row(db, sid))["viewer_count"] for sid in ids] == [1, 2, 3]
    assert await sample_count(db) == 3
