"""The listing cache: hits, invalidation by events, and Redis failures."""

from __future__ import annotations

import uuid

import redis.asyncio

from core.cache import STREAMS_SCOPE, InvalidatingSink, ListingCache
from core.events import RecordingSink, StreamChanged, UserFollowed
from core.clock import utc_now
from core.tables import streams
from tests.api.streams_support import STREAMS, create_stream, live_input_uid


class Builder:
    """Counts how often the cache asked for a fresh body."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self) -> bytes:
        self.calls += 1
        return f'{{"build": {self.calls}}}'.encode()


async def test_second_lookup_is_a_hit(base_settings, redis_client):
    cache = ListingCache(redis_client, base_settings)
    build = Builder()

    first = await cache.get_or_build("scope", {"page": 1}, build)
    second = await cache.get_or_build("scope", {"page": 1}, build)

    assert first == second == b'{"build": 1}'
    assert build.calls == 1


async def test_other_params_are_other_entries(base_settings, redis_client):
    cache = ListingCache(redis_client, base_settings)
    build = Builder()

    await cache.get_or_build("scope", {"page": 1}, build)
    body = await cache.get_or_build("scope", {"page": 2}, build)

    assert body == b'{"build": 2}'


async def test_invalidate_forces_rebuild(base_settings, redis_client):
    cache = ListingCache(redis_client, base_settings)
    build = Builder()
    await cache.get_or_build("scope", {"page": 1}, build)

    await cache.invalidate("scope")
    body = await cache.get_or_build("scope", {"page": 1}, build)

    assert body == b'{"build": 2}'


async def test_zero_ttl_disables_cache(base_settings, redis_client):
    settings = base_settings.model_copy(update={"listing_cache_ttl_seconds": 0})
    cache = ListingCache(redis_client, settings)
    build = Builder()

    await cache.get_or_build("scope", {}, build)
    await cache.get_or_build("scope", {}, build)

    assert build.calls == 2


async def test_redis_down_serves_built_body(base_settings):
    unreachable = redis.asyncio.Redis.from_url(
        "redis://127.0.0.1:9/0", decode_responses=True, socket_connect_timeout=0.5
    )
    cache = ListingCache(unreachable, base_settings)
    build = Builder()

    body = await cache.get_or_build("scope", {}, build)
    await cache.invalidate("scope")

    assert body == b'{"build": 1}'
    await unreachable.aclose()


async def test_sink_invalidates_on_stream_events_only(base_settings, redis_client):
    cache = ListingCache(redis_client, base_settings)
    inner = RecordingSink()
    sink = InvalidatingSink(inner, cache)
    build = Builder()
    await cache.get_or_build(STREAMS_SCOPE, {}, build)

    await sink.publish(UserFollowed(uuid.uuid4(), uuid.uuid4(), utc_now()))
    await cache.get_or_build(STREAMS_SCOPE, {}, build)
    calls_after_follow = build.calls
    await sink.publish(StreamChanged(uuid.uuid4()))
    await cache.get_or_build(STREAMS_SCOPE, {}, build)

    assert calls_after_follow == 1
    assert build.calls == 2
    assert len(inner.events) == 2


async def test_listing_cached_until_stream_event(
    client, db, make_user, cloudflare_emulator
):
    _, key = await make_user()
    stream = await create_stream(client, key, title="Cached listing")
    first = await (await client.get(STREAMS)).json()

    # A change that publishes no event stays unseen until the entry expires.
    await db.execute(streams.update().values(status="ended", ended_at=utc_now()))
    cached = await (await client.get(STREAMS)).json()
    await db.execute(streams.update().values(status="offline", ended_at=None))

    # Going live publishes StreamWentLive, which clears the cached listing.
    uid = await live_input_uid(db, stream["id"])
    connect_url = f"{cloudflare_emulator.url}/__emulator/live_inputs/{uid}/connect"
    async with client.session.post(connect_url) as connect:
        assert connect.status == 200
    after_live = await (await client.get(STREAMS)).json()

    assert first["total"] == 0
    assert cached["total"] == 0
    assert [item["id"] for item in after_live["streams"]] == [stream["id"]]
