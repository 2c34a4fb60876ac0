"""Chat: sending, listing with badges, moderation permissions, bans, timeouts, rate limits
and the WebSocket feed shared by two API processes through Redis pub/sub."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import aiohttp
import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from api.app import create_app
from core.clock import utc_now
from core.settings import Settings
from core.tables import chat_bans
from core.trending import chat_message_counts
from tests.community_support import insert_stream
from tests.conftest import bearer

#: Maximum wait for one WebSocket event, in seconds. Only a failing test waits this long.
RECEIVE_TIMEOUT = 5.0


def chat_path(stream_id: Any, suffix: str = "") -> str:
    return f"/api/v1/streams/{stream_id}/chat{suffix}"


async def setup_chat(db: Any, make_user: Any, client: TestClient) -> dict[str, Any]:
    """A live stream whose owner is verified, with one moderator and one viewer."""
    owner, owner_key = await make_user("owner", is_verified=True)
    moderator, moderator_key = await make_user("moderator")
    viewer, viewer_key = await make_user("viewer")
    stream = await insert_stream(db, owner["id"])
    response = await client.post(
        f"/api/v1/streams/{stream['id']}/moderators",
        json={"user_id": str(moderator["id"]), "badge_type": "moderator"},
        headers=bearer(owner_key),
    )
    assert response.status == 201
    return {
        "stream": stream,
        "owner": owner,
        "owner_key": owner_key,
        "moderator": moderator,
        "moderator_key": moderator_key,
        "viewer": viewer,
        "viewer_key": viewer_key,
    }


async def send(
    client: TestClient, stream_id: Any, key: str, body: str
) -> aiohttp.ClientResponse:
    return await client.post(
        chat_path(stream_id, "/messages"), json={"body": body}, headers=bearer(key)
    )


async def receive_json(socket: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    return await asyncio.wait_for(socket.receive_json(), RECEIVE_TIMEOUT)


async def test_send_and_list_with_badges(
    client: TestClient, db: Any, make_user: Any, redis_client: Any, settings: Settings
) -> None:
    chat = await setup_chat(db, make_user, client)
    stream_id = chat["stream"]["id"]

    first = await send(client, stream_id, chat["owner_key"], "  welcome!  ")
    await send(client, stream_id, chat["moderator_key"], "keep it friendly")
    await send(client, stream_id, chat["viewer_key"], "hello")
    listed = await client.get(chat_path(stream_id, "/messages"))

    assert first.status == 201, await first.text()
    first_body = await first.json()
    assert first_body["body"] == "welcome!"
    assert first_body["user"]["username"] == "owner"
    assert first_body["badges"] == ["broadcaster", "verified"]
    body = await listed.json()
    assert listed.status == 200
    assert [
        (m["user"]["username"], m["body"], m["badges"]) for m in body["messages"]
    ] == [
        ("owner", "welcome!", ["broadcaster", "verified"]),
        ("moderator", "keep it friendly", ["moderator"]),
        ("viewer", "hello", []),
    ]
    counts = await chat_message_counts(redis_client, settings, now=utc_now())
    assert counts[stream_id] == 3


async def test_list_pages_back_with_before_id(
    client: TestClient, db: Any, make_user: Any
) -> None:
    chat = await setup_chat(db, make_user, client)
    stream_id = chat["stream"]["id"]
    for index in range(5):
        await send(client, stream_id, chat["owner_key"], f"message {index}")

    latest = await (await client.get(chat_path(stream_id, "/messages?limit=2"))).json()
    oldest_id = latest["messages"][0]["id"]
    earlier = await (
        await client.get(
            chat_path(stream_id, f"/messages?limit=2&before_id={oldest_id}")
        )
    ).json()
    too_many = await client.get(chat_path(stream_id, "/messages?limit=101"))
    unknown = await client.get(chat_path(uuid.uuid4(), "/messages"))

    assert [m["body"] for m in latest["messages"]] == ["message 3", "message 4"]
    assert [m["body"] for m in earlier["messages"]] == ["message 1", "message 2"]
    assert too_many.status == 422
    assert unknown.status == 404


async def test_send_failures(client: TestClient, db: Any, make_user: Any) -> None:
    chat = await setup_chat(db, make_user, client)
    stream_id = chat["stream"]["id"]
    ended = await insert_stream(db, chat["owner"]["id"], status="ended")
    key = chat["viewer_key"]

    anonymous = await client.post(
        chat_path(stream_id, "/messages"), json={"body": "hi"}
    )
    unknown_stream = await send(client, uuid.uuid4(), key, "hi")
    empty = await send(client, stream_id, key, "   ")
    too_long = await send(client, stream_id, key, "x" * 501)
    control = await send(client, stream_id, key, "line one\nline two")
    ended_stream = await send(client, ended["id"], key, "hi")
    longest = await send(client, stream_id, key, "y" * 500)

    assert anonymous.status == 401
    assert unknown_stream.status == 404
    assert empty.status == 422
    assert too_long.status == 422
    assert control.status == 422
    assert ended_stream.status == 400
    assert longest.status == 201


async def test_send_is_rate_limited_per_user(
    settings: Settings,
    db: Any,
    make_user: Any,
    events: Any,
    redis_client: Any,
    aiohttp_client: Any,
) -> None:
    limited = settings.model_copy(
        update={"chat_rate_limit": 3, "chat_rate_window_seconds": 60}
    )
    client = await aiohttp_client(create_app(limited, database=db, events=events))
    chat = await setup_chat(db, make_user, client)
    stream_id = chat["stream"]["id"]

    statuses = [
        (await send(client, stream_id, chat["viewer_key"], f"m{i}")).status
        for i in range(4)
    ]
    limited_response = await send(client, stream_id, chat["viewer_key"], "again")
    other_user = await send(client, stream_id, chat["owner_key"], "still fine")

    assert statuses == [201, 201, 201, 429]
    assert limited_response.status == 429
    assert int(limited_response.headers["Retry-After"]) >= 1
    assert other_user.status == 201


async def test_delete_permissions(client: TestClient, db: Any, make_user: Any) -> None:
    chat = await setup_chat(db, make_user, client)
    stream_id = chat["stream"]["id"]
    other_stream = await insert_stream(db, chat["viewer"]["id"])
    ids = []
    for index in range(2):
        response = await send(client, stream_id, chat["viewer_key"], f"spam {index}")
        ids.append((await response.json())["id"])
    other_message = await send(
        client, other_stream["id"], chat["viewer_key"], "my own channel"
    )
    other_id = (await other_message.json())["id"]

    def path(message_id: int, stream: Any = stream_id) -> str:
        return chat_path(stream, f"/messages/{message_id}")

    by_viewer = await client.delete(path(ids[0]), headers=bearer(chat["viewer_key"]))
    by_moderator = await client.delete(
        path(ids[0]), headers=bearer(chat["moderator_key"])
    )
    by_owner = await client.delete(path(ids[1]), headers=bearer(chat["owner_key"]))
    again = await client.delete(path(ids[1]), headers=bearer(chat["owner_key"]))
    wrong_stream = await client.delete(
        path(other_id), headers=bearer(chat["owner_key"])
    )
    unknown = await client.delete(path(999_999), headers=bearer(chat["owner_key"]))
    anonymous = await client.delete(path(ids[0]))
    listed = await (await client.get(chat_path(stream_id, "/messages"))).json()

    assert by_viewer.status == 403
    assert by_moderator.status == 204
    assert by_owner.status == 204
    assert again.status == 404
    assert wrong_stream.status == 404
    assert unknown.status == 404
    assert anonymous.status == 401
    assert listed["messages"] == []


async def test_ban_and_unban(client: TestClient, db: Any, make_user: Any) -> None:
    chat = await setup_chat(db, make_user, client)
    stream_id = chat["stream"]["id"]
    viewer_id = str(chat["viewer"]["id"])
    bans = chat_path(stream_id, "/bans")

    banned = await client.post(
        bans,
        json={"user_id": viewer_id, "reason": "spam"},
        headers=bearer(chat["moderator_key"]),
    )
    blocked = await send(client, stream_id, chat["viewer_key"], "let me in")
    listed = await client.get(bans, headers=bearer(chat["moderator_key"]))
    listed_by_viewer = await client.get(bans, headers=bearer(chat["viewer_key"]))
    lifted = await client.delete(
        f"{bans}/{viewer_id}", headers=bearer(chat["owner_key"])
    )
    lifted_again = await client.delete(
        f"{bans}/{viewer_id}", headers=bearer(chat["owner_key"])
    )
    allowed = await send(client, stream_id, chat["viewer_key"], "thanks")

    assert banned.status == 201, await banned.text()
    ban = await banned.json()
    assert ban["kind"] == "ban"
    assert ban["expires_at"] is None
    assert ban["reason"] == "spam"
    assert blocked.status == 403
    assert "banned" in (await blocked.json())["detail"]
    assert [item["username"] for item in (await listed.json())["bans"]] == ["viewer"]
    assert listed_by_viewer.status == 403
    assert lifted.status == 204
    assert lifted_again.status == 404
    assert allowed.status == 201


async def test_timeout_expires(client: TestClient, db: Any, make_user: Any) -> None:
    chat = await setup_chat(db, make_user, client)
    stream_id = chat["stream"]["id"]
    viewer_id = chat["viewer"]["id"]

    timed_out = await client.post(
        chat_path(stream_id, "/bans"),
        json={"user_id": str(viewer_id), "duration_seconds": 600},
        headers=bearer(chat["owner_key"]),
    )
    blocked = await send(client, stream_id, chat["viewer_key"], "hello?")
    await db.execute(
        chat_bans.update()
        .where(chat_bans.c.user_id == viewer_id)
        .values(expires_at=utc_now() - timedelta(seconds=1))
    )
    after_expiry = await send(client, stream_id, chat["viewer_key"], "back again")
    listed = await (
        await client.get(
            chat_path(stream_id, "/bans"), headers=bearer(chat["owner_key"])
        )
    ).json()

    assert timed_out.status == 201
    body = await timed_out.json()
    assert body["kind"] == "timeout"
    assert body["expires_at"] is not None
    assert blocked.status == 403
    assert "timed out" in (await blocked.json())["detail"]
    assert after_expiry.status == 201
    assert listed["bans"] == []


async def test_ban_permissions(client: TestClient, db: Any, make_user: Any) -> None:
    chat = await setup_chat(db, make_user, client)
    second_moderator, second_key = await make_user("second_mod")
    stream_id = chat["stream"]["id"]
    await client.post(
        f"/api/v1/streams/{stream_id}/moderators",
        json={"user_id": str(second_moderator["id"]), "badge_type": "moderator"},
        headers=bearer(chat["owner_key"]),
    )
    bans = chat_path(stream_id, "/bans")

    async def ban(key: str | None, user_id: Any, **extra: Any) -> int:
        headers = bearer(key) if key else {}
        response = await client.post(
            bans, json={"user_id": str(user_id), **extra}, headers=headers
        )
        return response.status

    assert await ban(chat["viewer_key"], chat["moderator"]["id"]) == 403
    assert await ban(chat["viewer_key"], second_moderator["id"]) == 403
    assert await ban(second_key, chat["moderator"]["id"]) == 403
    assert await ban(chat["owner_key"], chat["moderator"]["id"]) == 400
    assert await ban(chat["moderator_key"], chat["owner"]["id"]) == 400
    assert await ban(chat["moderator_key"], chat["moderator"]["id"]) == 400
    assert await ban(chat["owner_key"], uuid.uuid4()) == 404
    assert await ban(chat["owner_key"], chat["viewer"]["id"], duration_seconds=0) == 422
    assert (
        await ban(
            chat["owner_key"], chat["viewer"]["id"], duration_seconds=14 * 86400 + 1
        )
        == 422
    )
    assert await ban(None, chat["viewer"]["id"]) == 401
    unknown_stream = await client.post(
        chat_path(uuid.uuid4(), "/bans"),
        json={"user_id": str(chat["viewer"]["id"])},
        headers=bearer(chat["owner_key"]),
    )
    assert unknown_stream.status == 404
    count = await db.fetch_value(sa.select(sa.func.count()).select_from(chat_bans))
    assert count == 0


async def test_websocket_shares_chat_across_processes(
    client: TestClient,
    settings: Settings,
    db: Any,
    events: Any,
    make_user: Any,
    aiohttp_client: Any,
) -> None:
    # Given a second API process on the same Redis, with a viewer connected to it.
    second = await aiohttp_client(create_app(settings, database=db, events=events))
    chat = await setup_chat(db, make_user, client)
    stream_id = chat["stream"]["id"]
    socket = await second.ws_connect(chat_path(stream_id, "/ws"))
    other_socket = await second.ws_connect(chat_path(stream_id, "/ws"))
    assert (await receive_json(socket))["type"] == "ready"
    assert (await receive_json(other_socket))["type"] == "ready"

    # When a message is sent, deleted and its author banned through the first process.
    sent = await send(client, stream_id, chat["viewer_key"], "hello from process one")
    message_id = (await sent.json())["id"]
    await client.delete(
        chat_path(stream_id, f"/messages/{message_id}"),
        headers=bearer(chat["owner_key"]),
    )
    await client.post(
        chat_path(stream_id, "/bans"),
        json={"user_id": str(chat["viewer"]["id"]), "duration_seconds": 60},
        headers=bearer(chat["owner_key"]),
    )

    # Then both sockets on the second process receive every event in order.
    for connection in (socket, other_socket):
        pushed = await receive_json(connection)
        assert pushed["type"] == "message"
        assert pushed["message"]["id"] == message_id
        assert pushed["message"]["body"] == "hello from process one"
        assert pushed["message"]["user"]["username"] == "viewer"
        assert pushed["message"]["badges"] == []
        deleted = await receive_json(connection)
        assert deleted == {"type": "message_deleted", "message_id": message_id}
        timed_out = await receive_json(connection)
        assert timed_out["type"] == "user_timed_out"
        assert timed_out["user_id"] == str(chat["viewer"]["id"])
    await socket.close()
    await other_socket.close()


async def test_websocket_only_receives_its_stream(
    client: TestClient, db: Any, make_user: Any
) -> None:
    chat = await setup_chat(db, make_user, client)
    other = await insert_stream(db, chat["viewer"]["id"])
    socket = await client.ws_connect(chat_path(chat["stream"]["id"], "/ws"))
    assert (await receive_json(socket))["type"] == "ready"

    await send(client, other["id"], chat["owner_key"], "elsewhere")
    await send(client, chat["stream"]["id"], chat["owner_key"], "right here")

    pushed = await receive_json(socket)
    assert pushed["message"]["body"] == "right here"
    await socket.close()


async def test_websocket_unknown_stream_is_404(client: TestClient) -> None:
    response = await client.get(chat_path(uuid.uuid4(), "/ws"))

    assert response.status == 404


async def test_websocket_without_upgrade_is_400(
    client: TestClient, db: Any, make_user: Any
) -> None:
    chat = await setup_chat(db, make_user, client)

    response = await client.get(chat_path(chat["stream"]["id"], "/ws"))
    document = await (await client.get("/api/v1/openapi.json")).json()

    assert response.status == 400
    assert response.content_type == "application/problem+json"
    operation = document["paths"]["/api/v1/streams/{stream_id}/chat/ws"]["get"]
    assert "400" in operation["responses"]
