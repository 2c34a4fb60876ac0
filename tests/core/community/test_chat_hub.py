"""ChatHub fan-out through real Redis pub/sub."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
import redis.asyncio

from core.community.chat_hub import (
    LISTENER_QUEUE_SIZE,
    ChatHub,
    ChatListener,
    chat_channel,
    publish_chat_event,
)
from core.settings import Settings
from tests.conftest import TEST_REDIS_URL

RECEIVE_TIMEOUT = 5.0


@pytest.fixture
async def hubs(
    base_settings: Settings, redis_client: Any
) -> AsyncIterator[list[ChatHub]]:
    """Two hubs on separate Redis clients, as two API processes would have."""
    clients = [
        redis.asyncio.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
        for _ in range(2)
    ]
    created = [ChatHub(client, base_settings) for client in clients]
    yield created
    for hub in created:
        await hub.close()
    for client in clients:
        await client.aclose()


async def next_event(listener: ChatListener) -> dict[str, Any]:
    return orjson.loads(await asyncio.wait_for(listener.queue.get(), RECEIVE_TIMEOUT))


async def test_event_reaches_listeners_of_both_hubs(
    hubs: list[ChatHub], redis_client: Any, base_settings: Settings
) -> None:
    stream_id = uuid.uuid4()
    async with hubs[0].listen(stream_id) as first, hubs[1].listen(stream_id) as second:
        await publish_chat_event(
            redis_client, base_settings, stream_id, {"type": "message", "n": 1}
        )

        assert await next_event(first) == {"type": "message", "n": 1}
        assert await next_event(second) == {"type": "message", "n": 1}


async def test_listener_ignores_other_streams(
    hubs: list[ChatHub], redis_client: Any, base_settings: Settings
) -> None:
    watched, other = uuid.uuid4(), uuid.uuid4()
    async with hubs[0].listen(watched) as listener:
        await publish_chat_event(
            redis_client, base_settings, other, {"type": "message", "n": 1}
        )
        await publish_chat_event(
            redis_client, base_settings, watched, {"type": "message", "n": 2}
        )

        assert await next_event(listener) == {"type": "message", "n": 2}
        assert listener.queue.empty()


async def test_resubscribes_after_last_listener_leaves(
    hubs: list[ChatHub], redis_client: Any, base_settings: Settings
) -> None:
    stream_id = uuid.uuid4()
    channel = chat_channel(base_settings, stream_id)
    async with hubs[0].listen(stream_id):
        pass

    # UNSUBSCRIBE is sent without waiting for Redis to apply it; poll until it has.
    for _ in range(500):
        _, subscribers = await redis_client.execute_command("PUBSUB", "NUMSUB", channel)
        if subscribers == 0:
            break
        await asyncio.sleep(0.01)
    assert subscribers == 0

    async with hubs[0].listen(stream_id) as listener:
        await publish_chat_event(
            redis_client, base_settings, stream_id, {"type": "message", "n": 3}
        )

        assert await next_event(listener) == {"type": "message", "n": 3}


def test_listener_marks_overflow() -> None:
    listener = ChatListener()

    for index in range(LISTENER_QUEUE_SIZE + 1):
        listener.offer(str(index))

    assert listener.overflowed is True
    assert listener.queue.qsize() == LISTENER_QUEUE_SIZE
