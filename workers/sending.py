"""Enqueue Dramatiq messages from async code without blocking the event loop.

Dramatiq's Redis broker talks to Redis with a blocking client, so enqueues
run in a thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import dramatiq


def _enqueue_all(
    broker: dramatiq.Broker, messages: Sequence[dramatiq.Message], delay: int | None
) -> None:
    for message in messages:
        broker.enqueue(message, delay=delay)


async def enqueue(
    broker: dramatiq.Broker,
    messages: Sequence[dramatiq.Message],
    *,
    delay_ms: int | None = None,
) -> None:
    """Enqueue ``messages`` on ``broker`` in order, each after ``delay_ms`` if given."""
    if messages:
        await asyncio.to_thread(_enqueue_all, broker, messages, delay_ms)
