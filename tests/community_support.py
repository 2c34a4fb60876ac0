"""Row factories shared by the community tests (streams and notifications inserted directly)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from core.clock import utc_now
from core.db import Database
from core.tables import notifications, streams


async def insert_stream(
    db: Database,
    user_id: uuid.UUID,
    *,
    status: str = "live",
    viewer_count: int = 0,
    title: str = "Test stream",
) -> dict[str, Any]:
    """Insert a stream row without Cloudflare; live streams get ``started_at`` now."""
    uid = uuid.uuid4().hex
    row = await db.fetch_one(
        streams.insert()
        .values(
            user_id=user_id,
            title=title,
            status=status,
            viewer_count=viewer_count,
            live_input_uid=uid,
            rtmps_url="rtmps://127.0.0.1/live/",
            stream_key=f"key-{uid}",
            playback_url=f"http://127.0.0.1/{uid}/manifest/video.m3u8",
            started_at=utc_now() if status != "offline" else None,
            ended_at=utc_now() if status == "ended" else None,
        )
        .returning(streams)
    )
    assert row is not None
    return row


async def insert_notification(
    db: Database,
    user_id: uuid.UUID,
    actor_id: uuid.UUID,
    kind: str,
    *,
    stream_id: uuid.UUID | None = None,
    created_at: datetime | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    row = await db.fetch_one(
        notifications.insert()
        .values(
            user_id=user_id,
            actor_id=actor_id,
            kind=kind,
            stream_id=stream_id,
            dedupe_key=uuid.uuid4().hex,
            data=data or {},
            created_at=created_at or utc_now(),
        )
        .returning(notifications)
    )
    assert row is not None
    return row
