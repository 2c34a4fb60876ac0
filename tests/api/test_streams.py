"""Streams API: create, details, update, delete, and stream key visibility."""

from __future__ import annotations

import logging
import uuid

import sqlalchemy as sa

from core.events import LiveInputDeletionQueued, StreamChanged, StreamDeleted
from core.streams import process_pending_deletions
from core.tables import categories, live_input_deletions, search_outbox, streams
from tests.api.streams_support import STREAMS, create_stream, get_stream, live_input_uid
from tests.conftest import bearer


async def test_create_returns_ingest_and_provisions_live_input(
    client, make_user, db, cloudflare_emulator, events
):
    user, key = await make_user("alice")

    response = await client.post(
        STREAMS,
        json={"title": "Building a REST API", "description": "Live coding"},
        headers=bearer(key),
    )

    assert response.status == 201
    body = await response.json()
    assert body["status"] == "offline"
    assert body["title"] == "Building a REST API"
    assert body["user_id"] == str(user["id"])
    assert body["streamer"]["username"] == "alice"
    assert body["ingest"]["rtmps_url"].startswith("rtmps://")
    assert body["ingest"]["stream_key"]
    assert body["created_at"].endswith("Z")
    uid = await live_input_uid(db, body["id"])
    live_input = cloudflare_emulator.state.inputs[uid]
    assert live_input.meta == {"stream_id": body["id"]}
    assert live_input.recording["mode"] == "automatic"
    assert (
        body["playback_url"] == f"{cloudflare_emulator.url}/{uid}/manifest/video.m3u8"
    )
    assert response.headers["X-RateLimit-Limit"] == "10"
    assert response.headers["X-RateLimit-Remaining"] == "9"
    assert StreamChanged(stream_id=uuid.UUID(body["id"])) in events.events
    assert (
        await db.fetch_value(sa.select(sa.func.count()).select_from(search_outbox)) >= 1
    )


async def test_create_requires_authentication(client):
    response = await client.post(STREAMS, json={"title": "x"})

    assert response.status == 401


async def test_create_rejects_invalid_body(client, make_user):
    _, key = await make_user()

    missing_title = await client.post(STREAMS, json={}, headers=bearer(key))
    long_title = await client.post(
        STREAMS, json={"title": "x" * 141}, headers=bearer(key)
    )
    unknown_category = await client.post(
        STREAMS,
        json={"title": "x", "category_id": str(uuid.uuid4())},
        headers=bearer(key),
    )

    assert missing_title.status == 422
    assert long_title.status == 422
    assert unknown_category.status == 422
    assert (await unknown_category.json())["errors"][0]["field"] == "category_id"


async def test_create_with_category(client, make_user, db):
    _, key = await make_user()
    category_id = await db.fetch_value(
        categories.insert()
        .values(name="Technology", slug="technology")
        .returning(categories.c.id)
    )

    body = await create_stream(client, key, category_id=str(category_id))

    assert body["category_id"] == str(category_id)


async def test_create_cloudflare_failure_is_502_without_row(
    client, make_user, db, cloudflare_emulator
):
    _, key = await make_user()
    cloudflare_emulator.state.inject_fault("create_live_input", status=500, times=5)

    response = await client.post(STREAMS, json={"title": "x"}, headers=bearer(key))

    assert response.status == 502
    problem = await response.json()
    assert "create_live_input" in problem["detail"]
    assert await db.fetch_value(sa.select(sa.func.count()).select_from(streams)) == 0


async def test_create_while_live_is_400(client, make_user):
    _, key = await make_user()
    stream = await create_stream(client, key)
    started = await client.post(
        f"/api/v1/streams/id/{stream['id']}/start", headers=bearer(key)
    )
    assert started.status == 200

    response = await client.post(STREAMS, json={"title": "second"}, headers=bearer(key))

    assert response.status == 400


async def test_details_shows_ingest_only_to_owner(client, make_user):
    _, owner_key = await make_user()
    _, other_key = await make_user()
    stream = await create_stream(client, owner_key)
    await client.post(
        f"/api/v1/streams/id/{stream['id']}/start", headers=bearer(owner_key)
    )

    as_owner = await get_stream(client, stream["id"], owner_key)
    as_other = await get_stream(client, stream["id"], other_key)
    anonymous = await get_stream(client, stream["id"])

    assert as_owner["ingest"]["stream_key"] == stream["ingest"]["stream_key"]
    assert "ingest" not in as_other
    assert "ingest" not in anonymous
    assert stream["ingest"]["stream_key"] not in str(as_other)


async def test_details_of_offline_stream_is_owner_only(client, make_user):
    _, owner_key = await make_user()
    _, other_key = await make_user()
    stream = await create_stream(client, owner_key)

    as_other = await client.get(
        f"/api/v1/streams/id/{stream['id']}", headers=bearer(other_key)
    )
    anonymous = await client.get(f"/api/v1/streams/id/{stream['id']}")
    as_owner = await client.get(
        f"/api/v1/streams/id/{stream['id']}", headers=bearer(owner_key)
    )

    assert as_other.status == 404
    assert anonymous.status == 404
    assert as_owner.status == 200


async def test_details_unknown_or_malformed_id_is_404(client):
    unknown = await client.get(f"/api/v1/streams/id/{uuid.uuid4()}")
    malformed = await client.get("/api/v1/streams/id/not-a-uuid")

    assert unknown.status == 404
    assert malformed.status == 404


async def test_patch_and_put_update_given_fields(client, make_user, events):
    _, key = await make_user()
    stream = await create_stream(
        client, key, description="first", thumbnail_url="https://img/1.png"
    )
    path = f"/api/v1/streams/id/{stream['id']}"

    patched = await client.patch(path, json={"title": "New title"}, headers=bearer(key))
    put = await client.put(path, json={"thumbnail_url": None}, headers=bearer(key))

    assert patched.status == 200
    patched_body = await patched.json()
    assert patched_body["title"] == "New title"
    assert patched_body["description"] == "first"
    assert patched_body["ingest"]["stream_key"] == stream["ingest"]["stream_key"]
    assert put.status == 200
    put_body = await put.json()
    assert put_body["thumbnail_url"] is None
    assert put_body["title"] == "New title"
    assert len(events.of_type(StreamChanged)) >= 3


async def test_update_failures(client, make_user):
    _, owner_key = await make_user()
    _, other_key = await make_user()
    stream = await create_stream(client, owner_key)
    path = f"/api/v1/streams/id/{stream['id']}"

    anonymous = await client.patch(path, json={"title": "x"})
    not_owner = await client.patch(path, json={"title": "x"}, headers=bearer(other_key))
    null_title = await client.patch(
        path, json={"title": None}, headers=bearer(owner_key)
    )
    unknown_field = await client.put(
        path, json={"status": "live"}, headers=bearer(owner_key)
    )
    missing = await client.patch(
        f"/api/v1/streams/id/{uuid.uuid4()}",
        json={"title": "x"},
        headers=bearer(owner_key),
    )

    assert anonymous.status == 401
    assert not_owner.status == 403
    assert null_title.status == 422
    assert unknown_field.status == 422
    assert missing.status == 404


async def test_delete_removes_row_and_live_input(
    client, make_user, db, cloudflare_emulator, events
):
    user, key = await make_user()
    stream = await create_stream(client, key)
    uid = await live_input_uid(db, stream["id"])

    response = await client.delete(
        f"/api/v1/streams/id/{stream['id']}", headers=bearer(key)
    )

    assert response.status == 204
    assert uid not in cloudflare_emulator.state.inputs
    assert await db.fetch_value(sa.select(sa.func.count()).select_from(streams)) == 0
    assert (
        StreamDeleted(stream_id=uuid.UUID(stream["id"]), user_id=user["id"])
        in events.events
    )
    assert events.of_type(LiveInputDeletionQueued) == []


async def test_delete_during_cloudflare_outage_queues_deletion(
    client, app, make_user, db, cloudflare_emulator, events
):
    _, key = await make_user()
    stream = await create_stream(client, key)
    uid = await live_input_uid(db, stream["id"])
    cloudflare_emulator.state.inject_fault("delete_live_input", status=503, times=10)

    response = await client.delete(
        f"/api/v1/streams/id/{stream['id']}", headers=bearer(key)
    )

    assert response.status == 204
    assert await db.fetch_value(sa.select(sa.func.count()).select_from(streams)) == 0
    queued = await db.fetch_all(sa.select(live_input_deletions))
    assert [row["live_input_uid"] for row in queued] == [uid]
    assert LiveInputDeletionQueued(live_input_uid=uid) in events.events
    assert uid in cloudflare_emulator.state.inputs

    # Given Cloudflare is back, when the worker retries, then the input is gone.
    cloudflare_emulator.state.faults.clear()
    from api.keys import CLOUDFLARE

    run = await process_pending_deletions(db, app[CLOUDFLARE], limit=10)

    assert run.deleted == 1
    assert uid not in cloudflare_emulator.state.inputs
    assert (
        await db.fetch_value(
            sa.select(sa.func.count()).select_from(live_input_deletions)
        )
        == 0
    )


async def test_delete_failures(client, make_user):
    _, owner_key = await make_user()
    _, other_key = await make_user()
    stream = await create_stream(client, owner_key)
    path = f"/api/v1/streams/id/{stream['id']}"

    anonymous = await client.delete(path)
    not_owner = await client.delete(path, headers=bearer(other_key))
    missing = await client.delete(
        f"/api/v1/streams/id/{uuid.uuid4()}", headers=bearer(owner_key)
    )

    assert anonymous.status == 401
    assert not_owner.status == 403
    assert missing.status == 404


async def test_stream_key_never_logged(client, make_user, caplog):
    caplog.set_level(logging.DEBUG)
    _, key = await make_user()
    stream = await create_stream(client, key)
    await client.post(
        f"/api/v1/streams/{stream['id']}/regenerate-key", headers=bearer(key)
    )
    rotated = await get_stream(client, stream["id"], key)

    logged = "\n".join(record.getMessage() for record in caplog.records)

    assert stream["ingest"]["stream_key"] not in logged
    assert rotated["ingest"]["stream_key"] not in logged
