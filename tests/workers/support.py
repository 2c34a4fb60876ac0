"""Helpers for tests of the workers and their domain code: streams on emulated inputs."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from core.clock import utc_now
from core.db import Database
from core.tables import categories, streams


async def insert_stream(
    db: Database,
    emulator_state: Any,
    user_id: UUID,
    *,
    status: str = "live",
    connected: bool = True,
    viewers: int = 0,
    viewer_count: int = 0,
    started_at: datetime | None = None,
    category_id: UUID | None = None,
    **columns: Any,
) -> tuple[UUID, str]:
    """Insert a stream on a new emulated live input; returns ``(stream_id, live_input_uid)``.

    ``connected`` and ``viewers`` set the emulated encoder and viewer count
    directly, so no notification is posted anywhere.
    """
    live_input = emulator_state.create_input({"meta": {}})
    live_input.connected = connected
    live_input.viewers = viewers
    if status == "live" and started_at is None:
        started_at = utc_now()
    stream_id = await db.fetch_value(
        streams.insert()
        .values(
            user_id=user_id,
            title=f"stream on {live_input.uid[:8]}",
            status=status,
            live_input_uid=live_input.uid,
            rtmps_url="rtmps://live.example.test:443/live/",
            stream_key="not-a-real-key",
            playback_url=f"https://delivery.example.test/{live_input.uid}/manifest/video.m3u8",
            started_at=started_at,
            viewer_count=viewer_count,
            category_id=category_id,
            **columns,
        )
        .returning(streams.c.id)
    )
    return stream_id, live_input.uid


async def insert_category(db: Database, name: str) -> UUID:
    return await db.fetch_value(
        categories.insert()
        .values(name=name, slug=name.lower())
        .returning(categories.c.id)
    )


async def stream_row(db: Database, stream_id: UUID) -> dict[str, Any]:
    row = await db.fetch_one(sa.select(streams).where(streams.c.id == stream_id))
    assert row is not None
    return row
