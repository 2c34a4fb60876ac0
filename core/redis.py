"""Redis client construction and the key namespace every Redis key goes through."""

from __future__ import annotations

import redis.asyncio

from core.settings import Settings


def open_redis(settings: Settings) -> redis.asyncio.Redis:
    """Create a client on ``settings.redis_url``; connections open on first use."""
    return redis.asyncio.Redis.from_url(
        settings.redis_url,
        decode_responses=True,
        socket_timeout=5.0,
        socket_connect_timeout=5.0,
        health_check_interval=30,
    )


def redis_key(settings: Settings, *parts: object) -> str:
    """Build ``<namespace>:<part>:<part>...`` so deployments and test runs never collide."""
    return ":".join([settings.redis_namespace, *(str(part) for part in parts)])
