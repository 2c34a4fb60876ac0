"""Helpers shared by the streams API and webhook tests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp.test_utils import TestClient

from tests.conftest import bearer

STREAMS = "/api/v1/streams/"


async def create_stream(
    client: TestClient, api_key: str, **body: Any
) -> dict[str, Any]:
    """Create a stream through the API and return its JSON; fails the test unless 201."""
    body.setdefault("title", "Test stream")
    response = await client.post(STREAMS, json=body, headers=bearer(api_key))
    assert response.status == 201, await response.text()
    return await response.json()


async def get_stream(
    client: TestClient, stream_id: str, api_key: str | None = None
) -> dict[str, Any]:
    headers = bearer(api_key) if api_key else {}
    response = await client.get(f"/api/v1/streams/id/{stream_id}", headers=headers)
    assert response.status == 200, await response.text()
    return await response.json()


async def live_input_uid(db: Any, stream_id: str) -> str:
    import sqlalchemy as sa

    from core.tables import streams

    return await db.fetch_value(
        sa.select(streams.c.live_input_uid).where(streams.c.id == stream_id)
    )


async def wait_until(
    condition: Callable[[], Awaitable[bool]],
    *,
    max_wait_seconds: float = 5.0,
    interval: float = 0.05,
) -> None:
    """Poll ``condition`` until it is true, failing the test after ``max_wait_seconds``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_wait_seconds
    while not await condition():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {max_wait_seconds} s")
        await asyncio.sleep(interval)
