"""core.streams.deletions: the retry queue for live inputs Cloudflare failed to delete."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import pytest
import sqlalchemy as sa

from core.clock import utc_now
from core.cloudflare import CloudflareStream
from core.streams import process_pending_deletions
from core.streams.deletions import queue_live_input_deletion, retry_delay
from core.tables import live_input_deletions


@pytest.fixture
async def cloudflare(settings):
    async with aiohttp.ClientSession() as session:
        yield CloudflareStream.from_settings(session, settings)


async def queued(db) -> list[dict]:
    return await db.fetch_all(sa.select(live_input_deletions))


async def test_retry_delay_doubles_up_to_an_hour():
    assert retry_delay(1) == timedelta(seconds=30)
    assert retry_delay(2) == timedelta(seconds=60)
    assert retry_delay(5) == timedelta(seconds=480)
    assert retry_delay(50) == timedelta(hours=1)


async def test_pending_deletion_succeeds(db, cloudflare, cloudflare_emulator):
    live_input = await cloudflare.create_live_input(meta={"stream_id": "gone"})
    await queue_live_input_deletion(
        db, live_input.uid, RuntimeError("Cloudflare was down")
    )

    run = await process_pending_deletions(db, cloudflare, limit=10)

    assert (run.deleted, run.failed) == (1, 0)
    assert live_input.uid not in cloudflare_emulator.state.inputs
    assert await queued(db) == []


async def test_already_deleted_input_counts_as_done(db, cloudflare):
    await queue_live_input_deletion(db, "0" * 32, RuntimeError("Cloudflare was down"))

    run = await process_pending_deletions(db, cloudflare, limit=10)

    assert run.deleted == 1
    assert await queued(db) == []


async def test_failed_retry_backs_off(db, cloudflare, cloudflare_emulator):
    live_input = await cloudflare.create_live_input(meta={"stream_id": "gone"})
    await queue_live_input_deletion(
        db, live_input.uid, RuntimeError("Cloudflare was down")
    )
    cloudflare_emulator.state.inject_fault("delete_live_input", status=500, times=10)

    run = await process_pending_deletions(db, cloudflare, limit=10)
    again = await process_pending_deletions(db, cloudflare, limit=10)

    assert (run.deleted, run.failed) == (0, 1)
    assert (again.deleted, again.failed) == (0, 0)
    [row] = await queued(db)
    assert row["attempts"] == 2
    assert "delete_live_input" in row["last_error"]
    assert row["next_attempt_at"] > utc_now() + timedelta(seconds=50)
    assert live_input.uid in cloudflare_emulator.state.inputs


async def test_limit_bounds_one_run(db, cloudflare):
    for index in range(3):
        await queue_live_input_deletion(db, f"{index:032x}", RuntimeError("down"))

    run = await process_pending_deletions(db, cloudflare, limit=2)

    assert run.deleted == 2
    assert len(await queued(db)) == 1
