"""The aiohttp application factory and the lifecycle of its shared resources."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

import aiohttp
from aiohttp import web

from api.health import setup_health
from api.http import json_response
from api.keys import (
    CLOUDFLARE,
    DATABASE,
    EVENTS,
    HTTP_SESSION,
    LISTING_CACHE,
    MEDIA_EXECUTOR,
    MEDIA_STORAGE,
    REDIS,
    SETTINGS,
)
from api.metrics import metrics_middleware, setup_metrics
from api.openapi import build_openapi
from api.problems import problem_middleware
from api.request_id import request_id_middleware
from api.routes import ROUTE_TABLES, register_routes
from core.cache import InvalidatingSink, ListingCache
from core.cloudflare import CloudflareStream
from core.db import Database, open_database
from core.events import EventSink
from core.media.storage import open_media_storage
from core.redis import open_redis
from core.settings import Settings
from webhooks.timers import reconnect_timers_ctx

logger = logging.getLogger(__name__)

API_TITLE = "Live Streaming API"
API_VERSION = "1.0.0"
#: Largest JSON body accepted; uploads stream through multipart with their own limits.
MAX_JSON_BODY_BYTES = 1024 * 1024


async def database_ctx(app: web.Application) -> AsyncIterator[None]:
    if DATABASE not in app:
        app[DATABASE] = await open_database(app[SETTINGS])
        yield
        await app[DATABASE].close()
    else:
        yield


async def redis_ctx(app: web.Application) -> AsyncIterator[None]:
    client = open_redis(app[SETTINGS])
    app[REDIS] = client
    yield
    await client.aclose()


async def http_session_ctx(app: web.Application) -> AsyncIterator[None]:
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    app[HTTP_SESSION] = session
    yield
    await session.close()


async def cloudflare_ctx(app: web.Application) -> AsyncIterator[None]:
    """Open the Cloudflare Stream client on the shared HTTP session."""
    app[CLOUDFLARE] = CloudflareStream.from_settings(app[HTTP_SESSION], app[SETTINGS])
    yield


async def media_ctx(app: web.Application) -> AsyncIterator[None]:
    """Open media storage, unless one was set on the app, and the image threads."""
    executor = ThreadPoolExecutor(
        max_workers=os.cpu_count() or 1, thread_name_prefix="media"
    )
    app[MEDIA_EXECUTOR] = executor
    try:
        if MEDIA_STORAGE in app:
            yield
        else:
            async with open_media_storage(app[SETTINGS]) as storage:
                app[MEDIA_STORAGE] = storage
                yield
    finally:
        executor.shutdown(wait=False, cancel_futures=True)


async def events_ctx(app: web.Application) -> AsyncIterator[None]:
    """Publish domain events to the workers, unless the app was given its own sink."""
    if EVENTS in app:
        yield
        return
    # Imported here: importing the workers package declares every actor on a
    # broker, which processes that pass their own sink never need.
    from workers.events import build_event_sink

    sink = build_event_sink(app[SETTINGS])
    app[EVENTS] = sink
    yield
    await sink.close()


async def listing_cache_ctx(app: web.Application) -> AsyncIterator[None]:
    """Open the listing cache and have stream events clear it before going on."""
    cache = ListingCache(app[REDIS], app[SETTINGS])
    app[LISTING_CACHE] = cache
    app[EVENTS] = InvalidatingSink(app[EVENTS], cache)
    yield


async def openapi(request: web.Request) -> web.Response:
    specs = [spec for table in ROUTE_TABLES for spec in table.specs]
    return json_response(build_openapi(specs, title=API_TITLE, version=API_VERSION))


def create_app(
    settings: Settings,
    *,
    database: Database | None = None,
    events: EventSink | None = None,
) -> web.Application:
    """Build the API application; resources open when it starts and close when it stops.

    ``database`` and ``events`` let tests and embedding processes pass their own;
    by default events become Dramatiq messages for the workers.
    """
    app = web.Application(
        middlewares=[request_id_middleware, metrics_middleware, problem_middleware],
        client_max_size=MAX_JSON_BODY_BYTES,
    )
    app[SETTINGS] = settings
    if database is not None:
        app[DATABASE] = database
    if events is not None:
        app[EVENTS] = events

    app.cleanup_ctx.append(database_ctx)
    app.cleanup_ctx.append(redis_ctx)
    app.cleanup_ctx.append(http_session_ctx)
    app.cleanup_ctx.append(events_ctx)
    app.cleanup_ctx.append(listing_cache_ctx)
    app.cleanup_ctx.append(cloudflare_ctx)
    app.cleanup_ctx.append(media_ctx)
    app.cleanup_ctx.append(reconnect_timers_ctx)

    setup_metrics(app)
    setup_health(app)
    register_routes(app)
    app.router.add_get("/api/v1/openapi.json", openapi)
    return app
