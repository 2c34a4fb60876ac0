"""Viewer sampling: the outlier rule, recording samples, retention and total views."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import pytest
import sqlalchemy as sa

from core.clock import utc_now
from core.cloudflare import CloudflareStream
from core.tables import users, viewer_samples
from core.viewers import (
    decide_sample,
    delete_expired_samples,
    is_outlier,
    record_viewer_samples,
    sample_streams,
)
from tests.workers.support import insert_stream, stream_row


@pytest.mark.parametrize(
    ("reading", "reference", "expected"),
    [
        (1, 300, True),
        (300, 1, False),  # rises are shown at once
        (42, 0, False),
        (5000, 300, False),
        (250, 300, False),
        (0, 10, False),  # both below the minimum: small streams move freely
        (0, 19, False),
        (0, 20, True),
        (4, 20, False),  # 20 is exactly five times 4: not more than
        (3, 20, True),
        (20, 0, False),
    ],
)
def test_is_outlier_cases(reading: int, reference: int, expected: bool) -> None:
    assert is_outlier(reading, reference) is expected


def test_decide_sample_holds_then_confirms() -> None:
    held = decide_sample(1, displayed=300, unconfirmed=None, first=False)
    assert held.viewer_count == 300
    assert held.unconfirmed_viewer_count == 1
    assert held.accepted is False

    confirmed = decide_sample(2, displayed=300, unconfirmed=1, first=False)
    assert confirmed.viewer_count == 2
    assert confirmed.unconfirmed_viewer_count is None
    assert confirmed.accepted is True


def test_decide_sample_spike_not_confirmed() -> None:
    # A lone 1 followed by a normal reading: the normal reading is accepted.
    back = decide_sample(290, displayed=300, unconfirmed=1, first=False)
    assert back.viewer_count == 290
    assert back.unconfirmed_viewer_count is None


def test_decide_sample_first_reading_accepted() -> None:
    first = decide_sample(1, displayed=0, unconfirmed=None, first=True)
    assert first.accepted is True
    assert first.viewer_count == 1


async def test_record_samples_outlier_confirmation(db, cloudflare_emulator, make_user):
    user, _ = await make_user()
    stream_id, _ = await insert_stream(db, cloudflare_emulator.state, user["id"])
    start = utc_now()

    await record_viewer_samples(db, {stream_id: 300}, sampled_at=start)
    recorded, held = await record_viewer_samples(
        db, {stream_id: 1}, sampled_at=start + timedelta(seconds=30)
    )
    assert (recorded, held) == (1, 1)
    row = await stream_row(db, stream_id)
    assert row["viewer_count"] == 300
    assert row["unconfirmed_viewer_count"] == 1
    assert row["viewer_count_sampled_at"] == start

    await record_viewer_samples(
        db, {stream_id: 2}, sampled_at=start + timedelta(seconds=60)
    )
    row = await stream_row(db, stream_id)
    assert row["viewer_count"] == 2
    assert row["unconfirmed_viewer_count"] is None
    assert row["peak_viewer_count"] == 300
    assert row["viewer_count_sampled_at"] == start + timedelta(seconds=60)

    samples = await db.fetch_all(
        sa.select(viewer_samples.c.viewer_count)
        .where(viewer_samples.c.stream_id == stream_id)
        .order_by(viewer_samples.c.sampled_at)
    )
    assert [sample["viewer_count"] for sample in samples] == [300, 1, 2]


async def test_record_samples_duplicate_is_noop(db, cloudflare_emulator, make_user):
    user, _ = await make_user()
    stream_id, _ = await insert_stream(db, cloudflare_emulator.state, user["id"])
    at = utc_now()

    await record_viewer_samples(db, {stream_id: 40}, sampled_at=at)
    recorded, _ = await record_viewer_samples(db, {stream_id: 45}, sampled_at=at)

    assert recorded == 0
    row = await stream_row(db, stream_id)
    assert row["viewer_count"] == 40


async def test_record_samples_ignores_ended_streams(db, cloudflare_emulator, make_user):
    user, _ = await make_user()
    stream_id, _ = await insert_stream(
        db, cloudflare_emulator.state, user["id"], status="ended", connected=False
    )

    recorded, _ = await record_viewer_samples(db, {stream_id: 5}, sampled_at=utc_now())

    assert recorded == 0
    assert (
        await db.fetch_value(sa.select(sa.func.count()).select_from(viewer_samples))
        == 0
    )


async def test_total_views_sums_stream_peaks(db, cloudflare_emulator, make_user):
    user, _ = await make_user()
    await insert_stream(
        db,
        cloudflare_emulator.state,
        user["id"],
        status="ended",
        connected=False,
        peak_viewer_count=70,
    )
    live_id, _ = await insert_stream(db, cloudflare_emulator.state, user["id"])
    at = utc_now()

    await record_viewer_samples(db, {live_id: 30}, sampled_at=at)
    await record_viewer_samples(
        db, {live_id: 20}, sampled_at=at + timedelta(seconds=30)
    )

    total = await db.fetch_value(
        sa.select(users.c.total_views).where(users.c.id == user["id"])
    )
    assert total == 100


async def test_sample_streams_reads_emulator(
    db, settings, cloudflare_emulator, make_user
):
    state = cloudflare_emulator.state
    user_a, _ = await make_user()
    user_b, _ = await make_user()
    watched, _ = await insert_stream(db, state, user_a["id"], viewers=42)
    gone, gone_uid = await insert_stream(
        db,
        state,
        user_b["id"],
        viewers=7,
        viewer_count=9,
        viewer_count_sampled_at=utc_now() - timedelta(minutes=1),
    )
    # Cloudflare has no such input any more, so its read fails.
    state.delete_input(gone_uid)

    async with aiohttp.ClientSession() as session:
        cloudflare = CloudflareStream.from_settings(session, settings)
        report = await sample_streams(
            db, cloudflare, [watched, gone], sampled_at=utc_now(), concurrency=4
        )

    assert report.failed == 1
    assert report.recorded == 1
    assert (await stream_row(db, watched))["viewer_count"] == 42
    assert (await stream_row(db, gone))["viewer_count"] == 9


async def test_delete_expired_samples_in_batches(db, cloudflare_emulator, make_user):
    user, _ = await make_user()
    stream_id, _ = await insert_stream(db, cloudflare_emulator.state, user["id"])
    now = utc_now()
    old = [now - timedelta(days=8, seconds=index) for index in range(25)]
    recent = [now - timedelta(days=6, seconds=index) for index in range(3)]
    await db.execute(
        viewer_samples.insert().values(
            [
                {"stream_id": stream_id, "sampled_at": at, "viewer_count": 1}
                for at in old + recent
            ]
        )
    )

    deleted = await delete_expired_samples(
        db, older_than=now - timedelta(days=7), batch_size=10
    )

    assert deleted == 25
    remaining = await db.fetch_value(
        sa.select(sa.func.count()).select_from(viewer_samples)
    )
    assert remaining == 3
