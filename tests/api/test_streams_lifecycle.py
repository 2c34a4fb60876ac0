"""Streams API: start, end, regenerate-key, a user's streams, is-user-live and listings."""

from __future__ import annotations

import asyncio
import uuid

import sqlalchemy as sa

from core.events import StreamEnded, StreamWentLive
from core.tables import streams
from tests.api.streams_support import STREAMS, create_stream, get_stream, live_input_uid
from tests.conftest import bearer


def start_path(stream_id: str) -> str:
    return f"/api/v1/streams/id/{stream_id}/start"


async def test_start_makes_stream_live(client, make_user, events):
    user, key = await make_user("bob")
    stream = await create_stream(client, key)

    response = await client.post(start_path(stream["id"]), headers=bearer(key))

    assert response.status == 200
    body = await response.json()
    assert body["status"] == "live"
    assert body["started_at"].endswith("Z")
    assert body["ingest"]["stream_key"]
    went_live = events.of_type(StreamWentLive)
    assert [event.stream_id for event in went_live] == [uuid.UUID(stream["id"])]
    assert went_live[0].user_id == user["id"]


async def test_start_failures(client, make_user):
    _, key = await make_user()
    _, other_key = await make_user()
    stream = await create_stream(client, key)

    anonymous = await client.post(start_path(stream["id"]))
    not_owner = await client.post(start_path(stream["id"]), headers=bearer(other_key))
    missing = await client.post(start_path(str(uuid.uuid4())), headers=bearer(key))
    first = await client.post(start_path(stream["id"]), headers=bearer(key))
    already_live = await client.post(start_path(stream["id"]), headers=bearer(key))
    await client.post(f"/api/v1/streams/{stream['id']}/end", headers=bearer(key))
    ended = await client.post(start_path(stream["id"]), headers=bearer(key))

    assert anonymous.status == 401
    assert not_owner.status == 403
    assert missing.status == 404
    assert first.status == 200
    assert already_live.status == 400
    assert ended.status == 400
    assert "cannot be restarted" in (await ended.json())["detail"]


async def test_concurrent_starts_one_wins(client, make_user, db):
    _, key = await make_user()
    first = await create_stream(client, key, title="one")
    second = await create_stream(client, key, title="two")

    responses = await asyncio.gather(
        client.post(start_path(first["id"]), headers=bearer(key)),
        client.post(start_path(second["id"]), headers=bearer(key)),
    )

    statuses = sorted(response.status for response in responses)
    assert statuses == [200, 400]
    live = await db.fetch_value(
        sa.select(sa.func.count())
        .select_from(streams)
        .where(streams.c.status == "live")
    )
    assert live == 1


async def test_concurrent_starts_of_same_stream_one_wins(client, make_user):
    _, key = await make_user()
    stream = await create_stream(client, key)

    responses = await asyncio.gather(
        *(client.post(start_path(stream["id"]), headers=bearer(key)) for _ in range(2))
    )

    assert sorted(response.status for response in responses) == [200, 400]


async def test_end_disables_live_input(
    client, make_user, db, cloudflare_emulator, events
):
    _, key = await make_user()
    stream = await create_stream(client, key)
    await client.post(start_path(stream["id"]), headers=bearer(key))
    uid = await live_input_uid(db, stream["id"])

    response = await client.post(
        f"/api/v1/streams/{stream['id']}/end", headers=bearer(key)
    )

    assert response.status == 200
    body = await response.json()
    assert body["status"] == "ended"
    assert body["ended_at"].endswith("Z")
    assert cloudflare_emulator.state.inputs[uid].enabled is False
    assert [event.stream_id for event in events.of_type(StreamEnded)] == [
        uuid.UUID(stream["id"])
    ]


async def test_end_alias_and_failures(client, make_user):
    _, key = await make_user()
    _, other_key = await make_user()
    stream = await create_stream(client, key)
    alias = f"/api/v1/streams/id/{stream['id']}/end"

    anonymous = await client.post(alias)
    not_owner = await client.post(alias, headers=bearer(other_key))
    missing = await client.post(
        f"/api/v1/streams/{uuid.uuid4()}/end", headers=bearer(key)
    )
    ended = await client.post(alias, headers=bearer(key))
    again = await client.post(alias, headers=bearer(key))

    assert anonymous.status == 401
    assert not_owner.status == 403
    assert missing.status == 404
    assert ended.status == 200
    assert again.status == 400


async def test_end_route_leaves_static_paths_alone(client):
    response = await client.post("/api/v1/streams/trending/end")

    assert response.status in (404, 405)


async def test_regenerate_key_rotates_at_cloudflare(
    client, make_user, db, cloudflare_emulator
):
    _, key = await make_user()
    stream = await create_stream(client, key)
    uid = await live_input_uid(db, stream["id"])

    response = await client.post(
        f"/api/v1/streams/{stream['id']}/regenerate-key", headers=bearer(key)
    )

    assert response.status == 200
    body = await response.json()
    assert set(body) == {"rtmps_url", "stream_key"}
    assert body["stream_key"] != stream["ingest"]["stream_key"]
    assert cloudflare_emulator.state.inputs[uid].stream_key == body["stream_key"]
    details = await get_stream(client, stream["id"], key)
    assert details["ingest"]["stream_key"] == body["stream_key"]
    assert details["playback_url"] == stream["playback_url"]
    assert await live_input_uid(db, stream["id"]) == uid


async def test_regenerate_key_alias_and_failures(
    client, make_user, cloudflare_emulator
):
    _, key = await make_user()
    _, other_key = await make_user()
    stream = await create_stream(client, key)
    alias = f"/api/v1/streams/id/{stream['id']}/regenerate-key"

    anonymous = await client.post(alias)
    not_owner = await client.post(alias, headers=bearer(other_key))
    missing = await client.post(
        f"/api/v1/streams/id/{uuid.uuid4()}/regenerate-key", headers=bearer(key)
    )
    ok = await client.post(alias, headers=bearer(key))
    cloudflare_emulator.state.inject_fault("rotate_keys", status=500, times=5)
    upstream = await client.post(alias, headers=bearer(key))

    assert anonymous.status == 401
    assert not_owner.status == 403
    assert missing.status == 404
    assert ok.status == 200
    assert upstream.status == 502
    assert (await get_stream(client, stream["id"], key))["ingest"] == await ok.json()


async def test_regenerate_key_concurrent_is_409(
    client, make_user, db, cloudflare_emulator
):
    _, key = await make_user()
    stream = await create_stream(client, key)
    uid = await live_input_uid(db, stream["id"])
    path = f"/api/v1/streams/{stream['id']}/regenerate-key"
    # The first rotation waits at Cloudflare, so the second arrives while the
    # first is still running.
    cloudflare_emulator.state.inject_fault(
        "rotate_keys", status=200, body="normal", delay_seconds=1.0
    )

    first = asyncio.create_task(client.post(path, headers=bearer(key)))
    await asyncio.sleep(0.3)
    second = await client.post(path, headers=bearer(key))
    first_response = await first

    assert second.status == 409, await second.text()
    assert first_response.status == 200
    stored = (await get_stream(client, stream["id"], key))["ingest"]["stream_key"]
    assert stored == (await first_response.json())["stream_key"]
    assert cloudflare_emulator.state.inputs[uid].stream_key == stored


async def test_listing_orders_live_by_viewers_then_ended_newest(client, make_user, db):
    keys = [(await make_user())[1] for _ in range(4)]
    created = [
        await create_stream(client, key, title=f"s{index}")
        for index, key in enumerate(keys)
    ]
    for stream, key in zip(created, keys, strict=True):
        await client.post(start_path(stream["id"]), headers=bearer(key))
    # s0 and s1 end (s1 last); s2 has 5 viewers, s3 has 50.
    for index in (0, 1):
        await client.post(
            f"/api/v1/streams/{created[index]['id']}/end", headers=bearer(keys[index])
        )
    for index, viewers in ((2, 5), (3, 50)):
        await db.execute(
            streams.update()
            .where(streams.c.id == created[index]["id"])
            .values(viewer_count=viewers)
        )
    offline = await create_stream(client, keys[0], title="never started")

    response = await client.get(STREAMS)

    assert response.status == 200
    body = await response.json()
    assert [item["title"] for item in body["streams"]] == ["s3", "s2", "s1", "s0"]
    assert body["total"] == 4
    assert body["has_more"] is False
    assert offline["id"] not in {item["id"] for item in body["streams"]}
    assert all("ingest" not in item for item in body["streams"])
    assert set(body["streams"][0]["streamer"]) == {
        "id",
        "username",
        "display_name",
        "avatar_url",
        "follower_count",
        "is_verified",
    }

    first_page = await (await client.get(STREAMS, params={"per_page": "3"})).json()
    second_page = await (
        await client.get(STREAMS, params={"per_page": "3", "page": "2"})
    ).json()
    assert [item["title"] for item in first_page["streams"]] == ["s3", "s2", "s1"]
    assert first_page["has_more"] is True
    assert [item["title"] for item in second_page["streams"]] == ["s0"]

    live_only = await (
        await client.get(STREAMS, params={"status_filter": "live"})
    ).json()
    ended_only = await (
        await client.get(STREAMS, params={"status_filter": "ended"})
    ).json()
    assert [item["title"] for item in live_only["streams"]] == ["s3", "s2"]
    assert [item["title"] for item in ended_only["streams"]] == ["s1", "s0"]


async def test_listing_filters(client, make_user, db):
    from core.tables import categories, tenants

    tenant_id = await db.fetch_value(
        tenants.insert().values(name="acme").returning(tenants.c.id)
    )
    category_id = await db.fetch_value(
        categories.insert()
        .values(name="Music", slug="music")
        .returning(categories.c.id)
    )
    alice, alice_key = await make_user(tenant_id=tenant_id)
    _, bob_key = await make_user()
    music = await create_stream(
        client, alice_key, title="Jazz night", category_id=str(category_id)
    )
    await client.post(start_path(music["id"]), headers=bearer(alice_key))
    other = await create_stream(
        client, bob_key, title="Rust 100%", description="systems"
    )
    await client.post(start_path(other["id"]), headers=bearer(bob_key))

    async def titles(**params: str) -> list[str]:
        response = await client.get(STREAMS, params=params)
        assert response.status == 200
        return [item["title"] for item in (await response.json())["streams"]]

    assert await titles(category_id=str(category_id)) == ["Jazz night"]
    assert await titles(user_id=str(alice["id"])) == ["Jazz night"]
    assert await titles(tenant_id=str(tenant_id)) == ["Jazz night"]
    assert await titles(search="jazz") == ["Jazz night"]
    assert await titles(search="SYSTEMS") == ["Rust 100%"]
    assert await titles(search="100%") == ["Rust 100%"]
    assert await titles(search="%") == ["Rust 100%"]
    invalid = await client.get(STREAMS, params={"status_filter": "offline"})
    too_many = await client.get(STREAMS, params={"per_page": "101"})
    assert invalid.status == 422
    assert too_many.status == 422


async def test_user_streams_hides_offline_from_others(client, make_user):
    _, key = await make_user("carol")
    _, other_key = await make_user()
    live = await create_stream(client, key, title="live one")
    await create_stream(client, key, title="draft")
    await client.post(start_path(live["id"]), headers=bearer(key))
    path = "/api/v1/streams/users/carol/streams"

    public = await (await client.get(path)).json()
    as_other = await (await client.get(path, headers=bearer(other_key))).json()
    as_owner = await (await client.get(path, headers=bearer(key))).json()
    owner_live = await (
        await client.get(path, params={"status_filter": "live"}, headers=bearer(key))
    ).json()
    missing = await client.get("/api/v1/streams/users/nobody_here/streams")

    assert [item["title"] for item in public["streams"]] == ["live one"]
    assert [item["title"] for item in as_other["streams"]] == ["live one"]
    assert [item["title"] for item in as_owner["streams"]] == ["draft", "live one"]
    assert as_owner["total"] == 2
    assert [item["title"] for item in owner_live["streams"]] == ["live one"]
    assert missing.status == 404


async def test_is_user_live(client, make_user):
    _, key = await make_user("dave")
    path = "/api/v1/streams/users/dave/live"

    before = await (await client.get(path)).json()
    stream = await create_stream(client, key, title="Morning coding")
    await client.post(start_path(stream["id"]), headers=bearer(key))
    during = await (await client.get(path)).json()
    missing = await client.get("/api/v1/streams/users/nobody_here/live")

    assert before == {"is_live": False, "stream": None}
    assert during["is_live"] is True
    assert during["stream"]["id"] == stream["id"]
    assert during["stream"]["title"] == "Morning coding"
    assert during["stream"]["status"] == "live"
    assert "stream_key" not in str(during)
    assert missing.status == 404
