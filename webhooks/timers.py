"""In-process timers that end a stream when its reconnect window passes.

The worker's delayed check is the durable path; these timers make the API
process end streams on time even when no worker runs. At most one timer runs
per stream: a newer disconnect replaces the older timer. All timers are
cancelled when the application stops.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from uuid import UUID

from aiohttp import web

logger = logging.getLogger(__name__)

#: Returns the seconds to wait before checking again, or None when done.
Check = Callable[[], Awaitable[float | None]]


class ReconnectTimers:
    def __init__(self) -> None:
        self._tasks: dict[UUID, asyncio.Task[None]] = {}

    def __len__(self) -> int:
        return len(self._tasks)

    def schedule(self, stream_id: UUID, delay_seconds: float, check: Check) -> None:
        """Run ``check`` after ``delay_seconds`` and after each delay it returns."""
        previous = self._tasks.pop(stream_id, None)
        if previous is not None:
            previous.cancel()
        task = asyncio.create_task(
            self._run(stream_id, delay_seconds, check),
            name=f"reconnect-window-{stream_id}",
        )
        self._tasks[stream_id] = task
        task.add_done_callback(lambda done: self._forget(stream_id, done))

    def _forget(self, stream_id: UUID, task: asyncio.Task[None]) -> None:
        if self._tasks.get(stream_id) is task:
            del self._tasks[stream_id]

    async def _run(self, stream_id: UUID, delay_seconds: float, check: Check) -> None:
        delay: float | None = delay_seconds
        while delay is not None:
            await asyncio.sleep(max(0.0, delay))
            try:
                delay = await check()
            except asyncio.CancelledError:
                raise
            except Exception:
                # The worker's delayed check is the backup for this stream.
                logger.exception(
                    "reconnect window check failed stream_id=%s", stream_id
                )
                return

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


RECONNECT_TIMERS = web.AppKey("reconnect_timers", ReconnectTimers)


async def reconnect_timers_ctx(app: web.Application) -> AsyncIterator[None]:
    timers = ReconnectTimers()
    app[RECONNECT_TIMERS] = timers
    yield
    await timers.close()
