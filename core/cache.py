"""A short-lived Redis cache of hot listings, invalidated by stream events.

Each scope (for example ``streams``) has a version counter in Redis, and
cached bodies are stored under the current version. Bumping the counter
makes every cached page of the scope unreachable at once. The old entries
expire by themselves. The time to live bounds staleness for changes that bump no
version, such as new viewer counts.

A Redis error (``RedisError``) does not fail the request: the body is then
built from the database and ``listing_cache_requests_total`` counts it.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping

import redis.asyncio
from prometheus_client import Counter
from redis.exceptions import RedisError

from core.events import (
    Event,
    EventSink,
    StreamChanged,
    StreamDeleted,
    StreamEnded,
    StreamWentLive,
)
from core.redis import redis_key
from core.settings import Settings

logger = logging.getLogger(__name__)

CACHE_REQUESTS = Counter(
    "listing_cache_requests_total",
    "Listing cache lookups, by scope and result (hit, miss, error).",
    ["scope", "result"],
)

#: Seconds between two log lines about Redis failures of the cache.
ERROR_LOG_INTERVAL_SECONDS = 60.0

#: Scope of the public stream listing.
STREAMS_SCOPE = "streams"


class ListingCache:
    """Cache of response bodies per scope and query, for ``ttl_seconds``."""

    def __init__(self, client: redis.asyncio.Redis, settings: Settings) -> None:
        self._client = client
        self._settings = settings
        self._ttl = settings.listing_cache_ttl_seconds
        self._last_error_log = 0.0

    @property
    def enabled(self) -> bool:
        return self._ttl > 0

    def _version_key(self, scope: str) -> str:
        return redis_key(self._settings, "cache", scope, "version")

    def _entry_key(self, scope: str, version: str, params: Mapping[str, object]) -> str:
        canonical = "&".join(f"{name}={params[name]}" for name in sorted(params))
        digest = hashlib.sha256(canonical.encode()).hexdigest()[:32]
        return redis_key(self._settings, "cache", scope, version, digest)

    def _log_error(self, action: str, scope: str, error: Exception) -> None:
        now = time.monotonic()
        if now - self._last_error_log >= ERROR_LOG_INTERVAL_SECONDS:
            self._last_error_log = now
            logger.warning(
                "listing cache %s failed; serving from the database scope=%s error=%r",
                action,
                scope,
                error,
            )

    async def get_or_build(
        self,
        scope: str,
        params: Mapping[str, object],
        build: Callable[[], Awaitable[bytes]],
    ) -> bytes:
        """Return the cached body for ``params``, or build, store and return it."""
        if not self.enabled:
            return await build()
        try:
            version = await self._client.get(self._version_key(scope)) or "0"
            key = self._entry_key(scope, version, params)
            cached = await self._client.get(key)
        except RedisError as error:
            CACHE_REQUESTS.labels(scope, "error").inc()
            self._log_error("read", scope, error)
            return await build()
        if cached is not None:
            CACHE_REQUESTS.labels(scope, "hit").inc()
            return cached.encode()

        CACHE_REQUESTS.labels(scope, "miss").inc()
        body = await build()
        try:
            await self._client.set(key, body, px=int(self._ttl * 1000))
        except RedisError as error:
            self._log_error("write", scope, error)
        return body

    async def invalidate(self, scope: str) -> None:
        """Make every cached entry of ``scope`` unreachable."""
        try:
            await self._client.incr(self._version_key(scope))
        except RedisError as error:
            # Entries then live out their time to live.
            self._log_error("invalidation", scope, error)


class InvalidatingSink:
    """Passes events on to ``inner`` after dropping the listings they change."""

    def __init__(self, inner: EventSink, cache: ListingCache) -> None:
        self.inner = inner
        self.cache = cache

    async def publish(self, event: Event) -> None:
        if isinstance(
            event, StreamWentLive | StreamEnded | StreamChanged | StreamDeleted
        ):
            await self.cache.invalidate(STREAMS_SCOPE)
        await self.inner.publish(event)
