"""Rolling-window rate limits in Redis: one sorted set per subject, one round trip.

Each allowed request adds a member scored with Redis' own clock in
microseconds; members older than the window are trimmed first. A request is
allowed while fewer than ``limit`` members remain, so the window rolls instead
of resetting on minute boundaries. Denied requests are not recorded, so a
client that keeps retrying is let in again as soon as the oldest request ages
out.
"""

from __future__ import annotations

import logging
import math
import secrets
from dataclasses import dataclass

import redis.asyncio

from core.errors import RateLimited
from core.redis import redis_key
from core.settings import Settings

logger = logging.getLogger(__name__)

# KEYS[1] is the sorted set. ARGV[1] is the window in microseconds, ARGV[2]
# the limit and ARGV[3] a unique member. The script returns {allowed, count
# after the call, score of the oldest member or -1, now}. Scores come from
# TIME, so every API process uses the Redis server's clock.
_ROLLING_WINDOW_SCRIPT = """
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < limit then
    redis.call('ZADD', KEYS[1], now, ARGV[3])
    count = count + 1
    allowed = 1
end
redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local oldest_score = -1
if oldest[2] then oldest_score = tonumber(oldest[2]) end
return {allowed, count, tostring(oldest_score), tostring(now)}
"""


@dataclass(frozen=True)
class RateLimitDecision:
    allowed: bool
    limit: int
    remaining: int
    #: Seconds until the oldest counted request leaves the window.
    reset_seconds: int

    def headers(self) -> dict[str, str]:
        """Return the ``X-RateLimit-*`` headers that describe this decision."""
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_seconds),
        }


@dataclass(frozen=True)
class RollingWindowLimit:
    """``limit`` requests per ``window_seconds`` for each subject of one ``name``."""

    name: str
    limit: int
    window_seconds: int


def stream_creation_limit(settings: Settings) -> RollingWindowLimit:
    return RollingWindowLimit(
        name="stream_create",
        limit=settings.stream_create_rate_limit,
        window_seconds=settings.stream_create_rate_window_seconds,
    )


async def hit(
    redis_client: redis.asyncio.Redis,
    settings: Settings,
    rule: RollingWindowLimit,
    subject: str,
) -> RateLimitDecision:
    """Count one request of ``subject`` against ``rule`` and return the decision."""
    key = redis_key(settings, "ratelimit", rule.name, subject)
    window_us = rule.window_seconds * 1_000_000
    member = secrets.token_hex(8)
    allowed, count, oldest_raw, now_raw = await redis_client.eval(
        _ROLLING_WINDOW_SCRIPT, 1, key, window_us, rule.limit, member
    )
    oldest, now = float(oldest_raw), float(now_raw)
    if oldest < 0:
        reset_seconds = 0
    else:
        reset_seconds = max(1, math.ceil((oldest + window_us - now) / 1_000_000))
    return RateLimitDecision(
        allowed=bool(allowed),
        limit=rule.limit,
        remaining=max(0, rule.limit - int(count)),
        reset_seconds=reset_seconds,
    )


async def enforce(
    redis_client: redis.asyncio.Redis,
    settings: Settings,
    rule: RollingWindowLimit,
    subject: str,
) -> RateLimitDecision:
    """Count one request and raise RateLimited (429) when it is over the limit."""
    decision = await hit(redis_client, settings, rule, subject)
    if not decision.allowed:
        logger.info("rate limit exceeded limit=%s subject=%s", rule.name, subject)
        raise RateLimited(
            f"rate limit of {rule.limit} {rule.name} requests per "
            f"{rule.window_seconds} s exceeded: retry in {decision.reset_seconds} s",
            retry_after=decision.reset_seconds,
            limit=rule.limit,
            reset_seconds=decision.reset_seconds,
        )
    return decision
