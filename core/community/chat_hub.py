"""Chat fan-out over Redis pub/sub, so every API process delivers every chat event.

Each change to a stream's chat is published as one JSON text on the
stream's channel. Each API process keeps one ``ChatHub``: a single pub/sub
connection subscribed to the channels that its WebSocket clients watch, and
a reader task that copies each published text into the queue of every local
listener of that channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import orjson
import redis.asyncio
from redis.exceptions import RedisError

from core.redis import redis_key
from core.settings import Settings

logger = logging.getLogger(__name__)

#: Events buffered per listener; a client that falls further behind is disconnected.
LISTENER_QUEUE_SIZE = 256

#: Maximum wait for Redis to confirm a subscription, in seconds.
SUBSCRIBE_TIMEOUT_SECONDS = 5.0


def chat_channel(settings: Settings, stream_id: UUID) -> str:
    return redis_key(settings, "chat", "stream", stream_id)


async def publish_chat_event(
    redis_client: redis.asyncio.Redis,
    settings: Settings,
    stream_id: UUID,
    event: dict[str, Any],
) -> None:
    """Publish ``event`` to the stream's chat channel; a Redis failure is logged, not raised.

    The change is already committed when this runs, so clients that miss the
    push still see it the next time they list messages.
    """
    try:
        text = orjson.dumps(event, option=orjson.OPT_UTC_Z).decode()
        await redis_client.publish(chat_channel(settings, stream_id), text)
    except RedisError:
        logger.warning(
            "chat event not published stream_id=%s type=%s",
            stream_id,
            event.get("type"),
            exc_info=True,
        )


class ChatListener:
    """The queue of chat event texts for one WebSocket connection."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=LISTENER_QUEUE_SIZE)
        #: Set once an event was dropped because the queue was full.
        self.overflowed = False

    def offer(self, text: str) -> None:
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            self.overflowed = True


class ChatHub:
    """One process's pub/sub subscriptions, shared by all its chat WebSocket connections."""

    def __init__(self, redis_client: redis.asyncio.Redis, settings: Settings) -> None:
        self._settings = settings
        self._pubsub = redis_client.pubsub()
        self._listeners: dict[str, set[ChatListener]] = {}
        self._confirmed: dict[str, asyncio.Event] = {}
        self._lock = asyncio.Lock()
        self._reader: asyncio.Task[None] | None = None

    @contextlib.asynccontextmanager
    async def listen(self, stream_id: UUID) -> AsyncIterator[ChatListener]:
        """Yield a listener of the stream's events once Redis confirms the subscription.

        Raises RedisError when the subscription cannot be sent, and TimeoutError
        when Redis does not confirm it within ``SUBSCRIBE_TIMEOUT_SECONDS``.
        """
        channel = chat_channel(self._settings, stream_id)
        listener = ChatListener()
        async with self._lock:
            listeners = self._listeners.setdefault(channel, set())
            listeners.add(listener)
            if channel not in self._confirmed:
                # Register the event before subscribing: the reader may see the
                # confirmation while SUBSCRIBE is still being sent.
                self._confirmed[channel] = asyncio.Event()
                try:
                    await self._pubsub.subscribe(channel)
                except BaseException:
                    del self._confirmed[channel]
                    listeners.discard(listener)
                    if not listeners:
                        del self._listeners[channel]
                    raise
                if self._reader is None:
                    self._reader = asyncio.create_task(
                        self._read(), name="chat-hub-reader"
                    )
            confirmed = self._confirmed[channel]
        try:
            async with asyncio.timeout(SUBSCRIBE_TIMEOUT_SECONDS):
                await confirmed.wait()
            yield listener
        finally:
            async with self._lock:
                listeners.discard(listener)
                if not listeners and self._listeners.get(channel) is listeners:
                    del self._listeners[channel]
                    del self._confirmed[channel]
                    with contextlib.suppress(RedisError):
                        await self._pubsub.unsubscribe(channel)

    async def _read(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(timeout=None)
            except RedisError:
                # redis-py reconnects and re-subscribes on the next read.
                logger.warning(
                    "chat pub/sub read failed; retrying in 1 s", exc_info=True
                )
                await asyncio.sleep(1.0)
                continue
            if message is None:
                continue
            channel = message["channel"]
            if message["type"] == "subscribe":
                event = self._confirmed.get(channel)
                if event is not None:
                    event.set()
            elif message["type"] == "message":
                for listener in tuple(self._listeners.get(channel, ())):
                    listener.offer(message["data"])

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._pubsub.aclose()
