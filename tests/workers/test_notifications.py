"""Go-live fan-out and new-follower actors: batches, idempotency and the event sink."""

from __future__ import annotations

import itertools
from datetime import timedelta

import sqlalchemy as sa

from core.clock import utc_now
from core.events import StreamWentLive, UserFollowed
from core.fanout import fan_out_live_notification, follower_ranges
from core.tables import follows, notifications
from tests.workers.support import insert_stream
from workers.events import build_event_sink
from workers.notifications import notify_followers_of_live, notify_new_follower


async def add_followers(db, make_user, streamer_id, count, *, muted=0):
    """Create ``count`` followers of ``streamer_id``; the first ``muted`` turned notifications off."""
    follower_ids = []
    for index in range(count):
        follower, _ = await make_user()
        await db.execute(
            follows.insert().values(
                follower_id=follower["id"],
                followed_id=streamer_id,
                notifications_enabled=index >= muted,
            )
        )
        follower_ids.append(follower["id"])
    return follower_ids


async def notified_users(db, kind):
    rows = await db.fetch_all(
        sa.select(notifications.c.user_id).where(notifications.c.kind == kind)
    )
    return sorted(row["user_id"] for row in rows)


async def test_fanout_notifies_enabled_followers(
    stub_worker, db, cloudflare_emulator, make_user
):
    streamer, _ = await make_user()
    followers = await add_followers(db, make_user, streamer["id"], 7, muted=1)
    stream_id, _ = await insert_stream(db, cloudflare_emulator.state, streamer["id"])

    notify_followers_of_live.send(str(stream_id))
    await stub_worker.drain()

    assert await notified_users(db, "stream_live") == sorted(followers[1:])
    row = await db.fetch_one(sa.select(notifications).limit(1))
    assert row["dedupe_key"] == f"live:{stream_id}"
    assert row["actor_id"] == streamer["id"]
    assert row["data"]["streamer_username"] == streamer["username"]


async def test_fanout_duplicate_and_flap_notify_once(
    stub_worker, db, cloudflare_emulator, make_user
):
    streamer, _ = await make_user()
    await add_followers(db, make_user, streamer["id"], 5)
    stream_id, _ = await insert_stream(db, cloudflare_emulator.state, streamer["id"])

    # A redelivered message and a reconnect inside the window both repeat it.
    for _ in range(3):
        notify_followers_of_live.send(str(stream_id))
    await stub_worker.drain()

    assert len(await notified_users(db, "stream_live")) == 5


async def test_fanout_batches_walk_all_followers(db, cloudflare_emulator, make_user):
    streamer, _ = await make_user()
    followers = await add_followers(db, make_user, streamer["id"], 7)
    stream_id, _ = await insert_stream(db, cloudflare_emulator.state, streamer["id"])

    report = await fan_out_live_notification(db, stream_id, batch_size=3)

    assert report.scanned == 7
    assert report.inserted == 7
    assert report.batches == 3
    assert await notified_users(db, "stream_live") == sorted(followers)


async def test_fanout_parallel_ranges_cover_all(db, cloudflare_emulator, make_user):
    streamer, _ = await make_user()
    followers = await add_followers(db, make_user, streamer["id"], 9, muted=2)
    stream_id, _ = await insert_stream(db, cloudflare_emulator.state, streamer["id"])

    first = await fan_out_live_notification(db, stream_id, batch_size=2, parallelism=3)
    again = await fan_out_live_notification(db, stream_id, batch_size=2, parallelism=3)

    assert first.scanned == 9
    assert first.inserted == 7
    assert again.inserted == 0
    assert await notified_users(db, "stream_live") == sorted(followers[2:])


def test_follower_ranges_partition_uuid_space():
    ranges = follower_ranges(3)

    assert ranges[0][0] is None
    assert ranges[-1][1] is None
    for (_, end), (start, _) in itertools.pairwise(ranges):
        # Each range starts (exclusive) just below where the previous one ends.
        assert start.int == end.int - 1
    assert follower_ranges(1) == [(None, None)]


async def test_fanout_skips_ended_stream(
    stub_worker, db, cloudflare_emulator, make_user
):
    streamer, _ = await make_user()
    await add_followers(db, make_user, streamer["id"], 2)
    stream_id, _ = await insert_stream(
        db, cloudflare_emulator.state, streamer["id"], status="ended", connected=False
    )

    notify_followers_of_live.send(str(stream_id))
    await stub_worker.drain()

    assert await notified_users(db, "stream_live") == []


async def test_new_follower_notified_once(stub_worker, db, make_user):
    followed, _ = await make_user()
    (follower_id,) = await add_followers(db, make_user, followed["id"], 1)
    at = utc_now().isoformat()

    notify_new_follower.send(str(follower_id), str(followed["id"]), at)
    notify_new_follower.send(str(follower_id), str(followed["id"]), at)
    await stub_worker.drain()

    rows = await db.fetch_all(sa.select(notifications))
    assert len(rows) == 1
    assert rows[0]["user_id"] == followed["id"]
    assert rows[0]["actor_id"] == follower_id
    assert rows[0]["kind"] == "new_follower"


async def test_new_follower_after_unfollow(stub_worker, db, make_user):
    followed, _ = await make_user()
    (follower_id,) = await add_followers(db, make_user, followed["id"], 1)
    await db.execute(follows.delete())

    notify_new_follower.send(
        str(follower_id), str(followed["id"]), utc_now().isoformat()
    )
    await stub_worker.drain()

    assert await notified_users(db, "new_follower") == []


async def test_new_follower_next_day_notifies_again(stub_worker, db, make_user):
    followed, _ = await make_user()
    (follower_id,) = await add_followers(db, make_user, followed["id"], 1)
    today = utc_now()

    for at in (today, today + timedelta(days=1)):
        notify_new_follower.send(str(follower_id), str(followed["id"]), at.isoformat())
    await stub_worker.drain()

    assert len(await notified_users(db, "new_follower")) == 2


async def test_events_fan_out_through_redis(
    redis_worker, db, cloudflare_emulator, make_user
):
    streamer, _ = await make_user()
    followers = await add_followers(db, make_user, streamer["id"], 4)
    stream_id, _ = await insert_stream(db, cloudflare_emulator.state, streamer["id"])
    sink = build_event_sink(redis_worker.settings)

    await sink.publish(
        StreamWentLive(stream_id=stream_id, user_id=streamer["id"], at=utc_now())
    )
    await sink.publish(
        StreamWentLive(stream_id=stream_id, user_id=streamer["id"], at=utc_now())
    )
    await sink.publish(
        UserFollowed(follower_id=followers[0], followed_id=streamer["id"], at=utc_now())
    )
    await redis_worker.drain()
    await sink.close()

    assert await notified_users(db, "stream_live") == sorted(followers)
    assert await notified_users(db, "new_follower") == [streamer["id"]]
