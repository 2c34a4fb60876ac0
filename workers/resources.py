"""Per-process worker resources, opened on the AsyncIO middleware's event loop.

Async clients are bound to the loop that creates them, so the database pool,
the Redis client and the HTTP session are created on Dramatiq's event loop
thread when the worker boots, and closed there when it stops.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import aiohttp
import redis.asyncio
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.middleware import Middleware, MiddlewareError

from core.cloudflare import CloudflareStream
from core.db import Database, open_database
from core.redis import open_redis
from core.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerResources:
    """Clients that the actors of one worker process share."""

    settings: Settings
    db: Database
    redis: redis.asyncio.Redis
    http_session: aiohttp.ClientSession
    cloudflare: CloudflareStream


class ResourcesUnavailable(MiddlewareError):
    """The worker could not open its database, Redis or HTTP resources."""


_current: WorkerResources | None = None


def get_resources() -> WorkerResources:
    """Return this process's resources; only valid inside a booted worker."""
    if _current is None:
        raise RuntimeError(
            "worker resources are not open: run actors in a worker whose broker "
            "comes from workers.broker.setup_broker"
        )
    return _current


async def open_resources(settings: Settings) -> WorkerResources:
    db = await open_database(settings)
    session = aiohttp.ClientSession()
    return WorkerResources(
        settings=settings,
        db=db,
        redis=open_redis(settings),
        http_session=session,
        cloudflare=CloudflareStream.from_settings(session, settings),
    )


async def close_resources(resources: WorkerResources) -> None:
    await resources.http_session.close()
    await resources.redis.aclose()
    await resources.db.close()


class WorkerResourcesMiddleware(Middleware):
    """Opens :class:`WorkerResources` when a worker boots and closes them when it stops.

    Must come after the AsyncIO middleware, whose loop it uses.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def before_worker_boot(self, broker, worker) -> None:
        global _current
        loop_thread = get_event_loop_thread()
        if loop_thread is None:
            raise ResourcesUnavailable("the AsyncIO middleware must come first")
        try:
            _current = loop_thread.run_coroutine(open_resources(self.settings))
        except Exception as error:
            logger.exception("worker resources failed to open")
            raise ResourcesUnavailable(
                f"worker resources failed to open: {error}"
            ) from error
        logger.info("worker resources open")

    def after_worker_shutdown(self, broker, worker) -> None:
        global _current
        resources, _current = _current, None
        loop_thread = get_event_loop_thread()
        if resources is None or loop_thread is None:
            return
        loop_thread.run_coroutine(close_resources(resources))
        logger.info("worker resources closed")
