"""Maintenance actors: reconciliation, end checks, retention and live input deletion retries."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import sqlalchemy as sa

from core.clock import utc_now
from core.cloudflare import CloudflareStream
from core.events import RecordingSink, StreamDisconnected, StreamEnded
from core.reconciliation import reconcile_live_streams as reconcile
from core.tables import idempotency_keys, live_input_deletions, viewer_samples
from tests.workers.support import insert_stream, stream_row
from workers.events import DramatiqEventSink, build_event_sink
from workers.maintenance import (
    apply_retention,
    reconcile_live_streams,
    retry_live_input_deletions,
)


async def test_reconciliation_ends_lost_stream(
    stub_worker, db, cloudflare_emulator, make_user
):
    state = cloudflare_emulator.state
    long_ago = utc_now() - timedelta(minutes=10)
    lost_user, _ = await make_user()
    live_user, _ = await make_user()
    lost, _ = await insert_stream(
        db,
        state,
        lost_user["id"],
        connected=False,
        started_at=long_ago,
        last_signal_at=long_ago,
    )
    healthy, _ = await insert_stream(
        db,
        state,
        live_user["id"],
        connected=True,
        started_at=long_ago,
        last_signal_at=long_ago,
    )

    reconcile_live_streams.send(utc_now().isoformat())
    await stub_worker.drain()

    lost_row = await stream_row(db, lost)
    assert lost_row["status"] == "ended"
    assert lost_row["end_reason"] == "reconciled"
    healthy_row = await stream_row(db, healthy)
    assert healthy_row["status"] == "live"
    assert healthy_row["last_signal_at"] > long_ago


async def test_reconciliation_ends_stream_of_missing_input(
    stub_worker, db, cloudflare_emulator, make_user
):
    long_ago = utc_now() - timedelta(minutes=10)
    user, _ = await make_user()
    stream_id, uid = await insert_stream(
        db,
        cloudflare_emulator.state,
        user["id"],
        connected=False,
        started_at=long_ago,
        last_signal_at=long_ago,
    )
    cloudflare_emulator.state.delete_input(uid)

    reconcile_live_streams.send(utc_now().isoformat())
    await stub_worker.drain()

    row = await stream_row(db, stream_id)
    assert row["status"] == "ended"
    assert row["end_reason"] == "reconciled"


async def test_reconciliation_duplicate_delivery(
    stub_worker, db, cloudflare_emulator, make_user
):
    user, _ = await make_user()
    long_ago = utc_now() - timedelta(minutes=10)
    lost, _ = await insert_stream(
        db,
        cloudflare_emulator.state,
        user["id"],
        connected=False,
        started_at=long_ago,
        last_signal_at=long_ago,
    )

    for _ in range(2):
        reconcile_live_streams.send(utc_now().isoformat())
    await stub_worker.drain()

    row = await stream_row(db, lost)
    assert row["status"] == "ended"
    # Broadcast time is added once: ten minutes, give or take the test's run time.
    owner_seconds = await db.fetch_value(
        sa.text("SELECT total_stream_seconds FROM users WHERE id = :id").bindparams(
            id=user["id"]
        )
    )
    assert 600 <= owner_seconds < 700


async def test_reconciliation_keeps_window_and_failures(
    settings, db, cloudflare_emulator, make_user
):
    state = cloudflare_emulator.state
    now = utc_now()
    recent_user, _ = await make_user()
    failing_user, _ = await make_user()
    recent, _ = await insert_stream(
        db,
        state,
        recent_user["id"],
        connected=False,
        started_at=now - timedelta(hours=1),
        last_signal_at=now - timedelta(seconds=20),
    )
    unknown, _ = await insert_stream(
        db,
        state,
        failing_user["id"],
        connected=False,
        started_at=now - timedelta(hours=1),
        last_signal_at=now - timedelta(hours=1),
    )
    state.inject_fault("lifecycle", status=503, times=10)
    events = RecordingSink()

    async with aiohttp.ClientSession() as session:
        cloudflare = CloudflareStream.from_settings(session, settings)
        first = await reconcile(
            db, cloudflare, events, now=now, window_seconds=60, concurrency=1
        )
        state.clear_faults()
        second = await reconcile(
            db, cloudflare, events, now=now, window_seconds=60, concurrency=1
        )

    assert first.failed == 2
    assert first.ended == 0
    assert second.ended == 1
    assert (await stream_row(db, recent))["status"] == "live"
    assert (await stream_row(db, unknown))["status"] == "ended"
    assert [event.stream_id for event in events.of_type(StreamEnded)] == [unknown]


async def test_end_check_after_disconnect_through_redis(
    redis_worker, db, cloudflare_emulator, make_user
):
    user, _ = await make_user()
    now = utc_now()
    stream_id, _ = await insert_stream(
        db,
        cloudflare_emulator.state,
        user["id"],
        connected=False,
        started_at=now - timedelta(minutes=5),
        disconnected_at=now,
        last_signal_at=now,
    )
    sink = build_event_sink(redis_worker.settings)

    await sink.publish(StreamDisconnected(stream_id=stream_id, at=now))
    await redis_worker.drain()
    await sink.close()

    row = await stream_row(db, stream_id)
    assert row["status"] == "ended"
    assert row["end_reason"] == "disconnected"


async def test_end_check_keeps_stream_live_at_cloudflare(
    stub_worker, db, cloudflare_emulator, make_user
):
    user, _ = await make_user()
    now = utc_now()
    # The connect notification was lost: Cloudflare reports the input live.
    stream_id, _ = await insert_stream(
        db,
        cloudflare_emulator.state,
        user["id"],
        connected=True,
        disconnected_at=now - timedelta(seconds=10),
    )
    sink = DramatiqEventSink(stub_worker.broker, stub_worker.settings)

    await sink.publish(StreamDisconnected(stream_id=stream_id, at=now))
    await stub_worker.drain()

    row = await stream_row(db, stream_id)
    assert row["status"] == "live"
    assert row["disconnected_at"] is None


async def test_retention_actor(stub_worker, db, cloudflare_emulator, make_user):
    user, _ = await make_user()
    stream_id, _ = await insert_stream(db, cloudflare_emulator.state, user["id"])
    now = utc_now()
    await db.execute(
        viewer_samples.insert().values(
            [
                {
                    "stream_id": stream_id,
                    "sampled_at": now - timedelta(days=8),
                    "viewer_count": 1,
                },
                {
                    "stream_id": stream_id,
                    "sampled_at": now - timedelta(days=1),
                    "viewer_count": 2,
                },
            ]
        )
    )
    await db.execute(
        idempotency_keys.insert().values(
            [
                {
                    "user_id": user["id"],
                    "key": "old",
                    "request_fingerprint": "a",
                    "created_at": now - timedelta(hours=25),
                },
                {
                    "user_id": user["id"],
                    "key": "new",
                    "request_fingerprint": "b",
                    "created_at": now - timedelta(hours=1),
                },
            ]
        )
    )

    apply_retention.send(now.isoformat())
    apply_retention.send(now.isoformat())
    await stub_worker.drain()

    samples = await db.fetch_all(sa.select(viewer_samples.c.viewer_count))
    assert [row["viewer_count"] for row in samples] == [2]
    keys = await db.fetch_all(sa.select(idempotency_keys.c.key))
    assert [row["key"] for row in keys] == ["new"]


async def test_deletion_retry_actor(stub_worker, db, cloudflare_emulator):
    state = cloudflare_emulator.state
    done_uid = state.create_input({"meta": {}}).uid
    failing_uid = state.create_input({"meta": {}}).uid
    due = utc_now() - timedelta(minutes=1)
    await db.execute(
        live_input_deletions.insert().values(
            [
                {"live_input_uid": done_uid, "attempts": 1, "next_attempt_at": due},
            ]
        )
    )

    retry_live_input_deletions.send(utc_now().isoformat())
    await stub_worker.drain()

    assert done_uid not in state.inputs
    assert await db.fetch_all(sa.select(live_input_deletions)) == []

    await db.execute(
        live_input_deletions.insert().values(
            live_input_uid=failing_uid, attempts=1, next_attempt_at=due
        )
    )
    state.inject_fault("delete_live_input", status=500, times=10)
    retry_live_input_deletions.send(utc_now().isoformat())
    await stub_worker.drain()

    row = await db.fetch_one(sa.select(live_input_deletions))
    assert row["live_input_uid"] == failing_uid
    assert row["attempts"] == 2
    assert failing_uid in state.inputs
