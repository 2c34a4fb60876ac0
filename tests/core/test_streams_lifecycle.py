"""core.streams lifecycle: transitions, the one-live-stream rule and the reconnect window."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
import sqlalchemy as sa

from core.cloudflare import CloudflareStream
from core.db import ForeignKeyViolation
from core.errors import DomainRuleViolation, NotFound
from core.events import LiveInputDeletionQueued, RecordingSink, StreamEnded
from core.streams import (
    NewStream,
    ReconnectOutcome,
    Source,
    confirm_ended_after_reconnect_window,
    create_stream,
    end_stream,
    go_live,
    mark_disconnected,
)
from core.tables import live_input_deletions, streams, users


@pytest.fixture
async def cloudflare(settings):
    async with aiohttp.ClientSession() as session:
        yield CloudflareStream.from_settings(session, settings)


async def new_stream(db, cloudflare, user_id, title="t") -> uuid.UUID:
    row = await create_stream(
        db,
        cloudflare,
        RecordingSink(),
        user_id=user_id,
        tenant_id=None,
        new_stream=NewStream(title=title),
    )
    return row["id"]


async def stream_row(db, stream_id) -> dict:
    return await db.fetch_one(sa.select(streams).where(streams.c.id == stream_id))


async def test_go_live_sets_started_at_once(db, cloudflare, make_user):
    user, _ = await make_user()
    stream_id = await new_stream(db, cloudflare, user["id"])
    first = datetime(2030, 1, 1, tzinfo=UTC)

    async with db.transaction() as conn:
        went_live = await go_live(conn, stream_id, first, Source.WEBHOOK)
    async with db.transaction() as conn:
        await mark_disconnected(conn, stream_id, first + timedelta(seconds=5))
    async with db.transaction() as conn:
        reconnected = await go_live(
            conn, stream_id, first + timedelta(seconds=9), Source.WEBHOOK
        )

    assert went_live.status_changed
    assert [type(event).__name__ for event in went_live.events()] == [
        "StreamWentLive",
        "StreamChanged",
    ]
    assert not reconnected.status_changed
    assert reconnected.events() == []
    row = await stream_row(db, stream_id)
    assert row["started_at"] == first
    assert row["disconnected_at"] is None


async def test_manual_go_live_rules(db, cloudflare, make_user):
    user, _ = await make_user()
    stream_id = await new_stream(db, cloudflare, user["id"])
    now = datetime.now(UTC)

    async with db.transaction() as conn:
        await go_live(conn, stream_id, now, Source.MANUAL)
    with pytest.raises(DomainRuleViolation, match="already live"):
        async with db.transaction() as conn:
            await go_live(conn, stream_id, now, Source.MANUAL)
    async with db.transaction() as conn:
        await end_stream(conn, stream_id, now, "manual")
    with pytest.raises(DomainRuleViolation, match="cannot be restarted"):
        async with db.transaction() as conn:
            await go_live(conn, stream_id, now, Source.MANUAL)
    with pytest.raises(NotFound):
        async with db.transaction() as conn:
            await go_live(conn, uuid.uuid4(), now, Source.MANUAL)


async def test_concurrent_go_live_one_wins(db, cloudflare, make_user):
    user, _ = await make_user()
    first = await new_stream(db, cloudflare, user["id"], "a")
    second = await new_stream(db, cloudflare, user["id"], "b")

    async def start(stream_id):
        async with db.transaction() as conn:
            return await go_live(conn, stream_id, datetime.now(UTC), Source.MANUAL)

    results = await asyncio.gather(start(first), start(second), return_exceptions=True)

    errors = [result for result in results if isinstance(result, Exception)]
    assert len(errors) == 1
    assert isinstance(errors[0], DomainRuleViolation)
    live = await db.fetch_value(
        sa.select(sa.func.count())
        .select_from(streams)
        .where(streams.c.status == "live")
    )
    assert live == 1


async def test_end_stream_adds_broadcast_time(db, cloudflare, make_user):
    user, _ = await make_user()
    stream_id = await new_stream(db, cloudflare, user["id"])
    started = datetime(2030, 1, 1, tzinfo=UTC)

    async with db.transaction() as conn:
        await go_live(conn, stream_id, started, Source.WEBHOOK)
    async with db.transaction() as conn:
        ended = await end_stream(
            conn, stream_id, started + timedelta(minutes=2), "manual"
        )
    async with db.transaction() as conn:
        again = await end_stream(
            conn, stream_id, started + timedelta(minutes=3), "manual"
        )

    assert ended.status_changed
    assert not again.status_changed
    total = await db.fetch_value(
        sa.select(users.c.total_stream_seconds).where(users.c.id == user["id"])
    )
    assert total == 120
    row = await stream_row(db, stream_id)
    assert row["ended_at"] == started + timedelta(minutes=2)
    assert row["end_reason"] == "manual"


async def test_mark_disconnected_ignores_offline_stream(db, cloudflare, make_user):
    user, _ = await make_user()
    stream_id = await new_stream(db, cloudflare, user["id"])

    async with db.transaction() as conn:
        transition = await mark_disconnected(conn, stream_id, datetime.now(UTC))

    assert not transition.changed
    assert (await stream_row(db, stream_id))["disconnected_at"] is None


async def disconnected_live_stream(
    db, cloudflare, user_id, disconnected_at
) -> uuid.UUID:
    stream_id = await new_stream(db, cloudflare, user_id)
    async with db.transaction() as conn:
        await go_live(
            conn, stream_id, disconnected_at - timedelta(seconds=30), Source.WEBHOOK
        )
        await mark_disconnected(conn, stream_id, disconnected_at)
    return stream_id


async def test_confirm_waits_for_window(db, cloudflare, make_user):
    user, _ = await make_user()
    stream_id = await disconnected_live_stream(
        db, cloudflare, user["id"], datetime.now(UTC)
    )

    check = await confirm_ended_after_reconnect_window(
        db, cloudflare, stream_id, window_seconds=60
    )

    assert check.outcome is ReconnectOutcome.WINDOW_OPEN
    assert 50 < check.retry_after_seconds <= 60
    assert (await stream_row(db, stream_id))["status"] == "live"


async def test_confirm_ends_after_window_once(db, cloudflare, make_user):
    user, _ = await make_user()
    sink = RecordingSink()
    stream_id = await disconnected_live_stream(
        db, cloudflare, user["id"], datetime.now(UTC) - timedelta(seconds=61)
    )

    first = await confirm_ended_after_reconnect_window(
        db, cloudflare, stream_id, window_seconds=60, events=sink
    )
    second = await confirm_ended_after_reconnect_window(
        db, cloudflare, stream_id, window_seconds=60, events=sink
    )

    assert first.outcome is ReconnectOutcome.ENDED
    assert second.outcome is ReconnectOutcome.NOTHING_PENDING
    assert [event.stream_id for event in sink.of_type(StreamEnded)] == [stream_id]
    row = await stream_row(db, stream_id)
    assert row["status"] == "ended"
    assert row["end_reason"] == "disconnected"


async def test_confirm_keeps_stream_live_at_cloudflare(
    db, cloudflare, make_user, cloudflare_emulator
):
    user, _ = await make_user()
    stream_id = await disconnected_live_stream(
        db, cloudflare, user["id"], datetime.now(UTC) - timedelta(seconds=61)
    )
    uid = (await stream_row(db, stream_id))["live_input_uid"]
    # No API server runs here: the connect notification goes to the emulator itself.
    cloudflare_emulator.state.webhook_url = f"{cloudflare_emulator.url}/__unrouted"
    await cloudflare_emulator.state.connect(uid)

    check = await confirm_ended_after_reconnect_window(
        db, cloudflare, stream_id, window_seconds=60
    )

    assert check.outcome is ReconnectOutcome.STILL_LIVE_AT_CLOUDFLARE
    row = await stream_row(db, stream_id)
    assert row["status"] == "live"
    assert row["disconnected_at"] is None


async def test_confirm_ends_when_lifecycle_fails(
    db, cloudflare, make_user, cloudflare_emulator
):
    user, _ = await make_user()
    stream_id = await disconnected_live_stream(
        db, cloudflare, user["id"], datetime.now(UTC) - timedelta(seconds=61)
    )
    cloudflare_emulator.state.inject_fault("lifecycle", status=500, times=10)

    check = await confirm_ended_after_reconnect_window(
        db, cloudflare, stream_id, window_seconds=60
    )

    assert check.outcome is ReconnectOutcome.ENDED


async def test_create_deletes_live_input_when_insert_fails(
    db, cloudflare, cloudflare_emulator
):
    sink = RecordingSink()

    with pytest.raises(ForeignKeyViolation):
        await create_stream(
            db,
            cloudflare,
            sink,
            user_id=uuid.uuid4(),
            tenant_id=None,
            new_stream=NewStream(title="x"),
        )

    assert cloudflare_emulator.state.inputs == {}
    assert sink.events == []


async def test_create_queues_deletion_when_insert_and_delete_fail(
    db, cloudflare, cloudflare_emulator
):
    sink = RecordingSink()
    cloudflare_emulator.state.inject_fault("delete_live_input", status=500, times=10)

    with pytest.raises(ForeignKeyViolation):
        await create_stream(
            db,
            cloudflare,
            sink,
            user_id=uuid.uuid4(),
            tenant_id=None,
            new_stream=NewStream(title="x"),
        )

    [uid] = cloudflare_emulator.state.inputs
    queued = await db.fetch_all(sa.select(live_input_deletions.c.live_input_uid))
    assert [row["live_input_uid"] for row in queued] == [uid]
    assert sink.events == [LiveInputDeletionQueued(live_input_uid=uid)]
