"""core.ratelimit: the rolling window on real Redis."""

from __future__ import annotations

import pytest

from core.errors import RateLimited
from core.ratelimit import RollingWindowLimit, enforce, hit, stream_creation_limit
from core.redis import redis_key

RULE = RollingWindowLimit(name="test", limit=3, window_seconds=60)


async def test_allows_limit_then_denies(settings, redis_client):
    decisions = [await hit(redis_client, settings, RULE, "user-1") for _ in range(4)]

    assert [decision.allowed for decision in decisions] == [True, True, True, False]
    assert [decision.remaining for decision in decisions] == [2, 1, 0, 0]
    assert all(1 <= decision.reset_seconds <= 60 for decision in decisions)
    assert decisions[0].headers()["X-RateLimit-Limit"] == "3"


async def test_subjects_are_counted_apart(settings, redis_client):
    for _ in range(3):
        await hit(redis_client, settings, RULE, "user-1")

    other = await hit(redis_client, settings, RULE, "user-2")

    assert other.allowed
    assert other.remaining == 2


async def test_window_rolls_as_oldest_ages_out(settings, redis_client):
    key = redis_key(settings, "ratelimit", RULE.name, "user-1")
    for _ in range(3):
        await hit(redis_client, settings, RULE, "user-1")
    assert not (await hit(redis_client, settings, RULE, "user-1")).allowed

    # Age the oldest request past the window by rewriting its score.
    [(member, score)] = await redis_client.zrange(key, 0, 0, withscores=True)
    await redis_client.zadd(key, {member: score - 61_000_000})

    after = await hit(redis_client, settings, RULE, "user-1")
    assert after.allowed
    assert after.remaining == 0


async def test_denied_requests_are_not_counted(settings, redis_client):
    key = redis_key(settings, "ratelimit", RULE.name, "user-1")
    for _ in range(6):
        await hit(redis_client, settings, RULE, "user-1")

    assert await redis_client.zcard(key) == 3
    assert 0 < await redis_client.pttl(key) <= 60_000


async def test_enforce_raises_rate_limited(settings, redis_client):
    rule = stream_creation_limit(settings)
    for _ in range(rule.limit):
        await enforce(redis_client, settings, rule, "user-1")

    with pytest.raises(RateLimited) as raised:
        await enforce(redis_client, settings, rule, "user-1")

    assert raised.value.limit == 10
    assert 1 <= raised.value.retry_after <= 60
