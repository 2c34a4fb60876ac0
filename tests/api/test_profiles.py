"""Streamer profiles, profile updates with social links, and the basic user profile."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from core.events import RecordingSink, UserChanged
from core.identity import create_category
from core.tables import search_outbox
from tests.community_support import insert_stream
from tests.conftest import bearer

ME = "/api/v1/streams/me/profile"
PRIVATE_FIELDS = (
    "email",
    "tenant_id",
    "is_admin",
    "total_stream_seconds",
    "updated_at",
)


async def outbox_rows(db: Any, user_id: Any) -> int:
    return await db.fetch_value(
        sa.select(sa.func.count())
        .select_from(search_outbox)
        .where(search_outbox.c.entity == "user", search_outbox.c.entity_id == user_id)
    )


async def test_public_profile_hides_private_fields(
    client: TestClient, db: Any, make_user: Any
) -> None:
    alice, _ = await make_user("alice", bio="Coding daily", is_partner=True)
    stream = await insert_stream(db, alice["id"], viewer_count=42, title="Live now")

    response = await client.get("/api/v1/streams/streamers/alice/profile")
    missing = await client.get("/api/v1/streams/streamers/ghost_user/profile")

    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["username"] == "alice"
    assert body["bio"] == "Coding daily"
    assert body["is_partner"] is True
    assert body["is_live"] is True
    assert body["current_stream"]["id"] == str(stream["id"])
    assert body["current_stream"]["viewer_count"] == 42
    for field in PRIVATE_FIELDS:
        assert field not in body, field
    assert missing.status == 404


async def test_own_profile_includes_private_fields(
    client: TestClient, make_user: Any
) -> None:
    _, key = await make_user("alice")

    response = await client.get(ME, headers=bearer(key))
    anonymous = await client.get(ME)

    assert response.status == 200
    body = await response.json()
    assert body["email"] == "alice@example.com"
    for field in PRIVATE_FIELDS:
        assert field in body, field
    assert body["is_live"] is False
    assert body["current_stream"] is None
    assert anonymous.status == 401


async def test_update_profile_fields(
    client: TestClient, db: Any, make_user: Any, events: RecordingSink
) -> None:
    alice, key = await make_user("alice")
    category = await create_category(db, "Software")
    update = {
        "display_name": "Alice Chen",
        "bio": "Full-stack dev",
        "stream_title": "Morning coding",
        "stream_category_id": str(category["id"]),
        "social_links": {
            "twitter": "https://twitter.com/alice",
            "github": "https://github.com/alice",
        },
        "avatar_url": "https://cdn.example.com/a.png",
        "banner_url": "https://cdn.example.com/b.png",
    }
    before = await outbox_rows(db, alice["id"])

    response = await client.patch(ME, json=update, headers=bearer(key))

    assert response.status == 200, await response.text()
    body = await response.json()
    for field, value in update.items():
        assert body[field] == value, field
    assert await outbox_rows(db, alice["id"]) == before + 1
    assert [event.user_id for event in events.of_type(UserChanged)] == [alice["id"]]
    public = await (await client.get("/api/v1/streams/streamers/alice/profile")).json()
    assert public["social_links"] == update["social_links"]


async def test_update_without_searchable_change_skips_outbox(
    client: TestClient, db: Any, make_user: Any
) -> None:
    alice, key = await make_user("alice")
    before = await outbox_rows(db, alice["id"])

    response = await client.patch(
        ME, json={"social_links": {"website": "https://alice.dev"}}, headers=bearer(key)
    )

    assert response.status == 200
    assert await outbox_rows(db, alice["id"]) == before


async def test_update_clears_optional_fields(
    client: TestClient, make_user: Any
) -> None:
    _, key = await make_user(
        "alice", stream_title="Old title", avatar_url="https://cdn.example/a.png"
    )

    response = await client.patch(
        ME,
        json={"stream_title": None, "avatar_url": None, "social_links": {}},
        headers=bearer(key),
    )

    body = await response.json()
    assert response.status == 200
    assert body["stream_title"] is None
    assert body["avatar_url"] is None
    assert body["social_links"] == {}


async def test_update_rejects_invalid_values(
    client: TestClient, make_user: Any
) -> None:
    _, key = await make_user("alice")
    cases = [
        ({"social_links": {"twitter": "javascript:alert(1)"}}, "social_links.twitter"),
        (
            {"social_links": {"myspace": "https://myspace.com/a"}},
            "social_links.myspace",
        ),
        ({"social_links": {"youtube": 5}}, "social_links.youtube"),
        ({"avatar_url": "ftp://example.com/a.png"}, "avatar_url"),
        ({"banner_url": "not a url"}, "banner_url"),
        ({"stream_category_id": str(uuid.uuid4())}, "stream_category_id"),
        ({"display_name": ""}, "display_name"),
        ({"display_name": None}, "display_name"),
        ({"bio": "x" * 1001}, "bio"),
        ({"is_admin": True}, "is_admin"),
    ]

    for update, field in cases:
        response = await client.patch(ME, json=update, headers=bearer(key))
        assert response.status == 422, update
        body = await response.json()
        assert field in [error["field"] for error in body["errors"]], body

    anonymous = await client.patch(ME, json={"bio": "x"})
    assert anonymous.status == 401


async def test_basic_user_profile(client: TestClient, db: Any, make_user: Any) -> None:
    alice, _ = await make_user("alice", display_name="Alice Chen", total_views=98432)
    _, bob_key = await make_user("bob")
    await client.post(
        "/api/v1/streams/users/alice/follow", json={}, headers=bearer(bob_key)
    )
    stream = await insert_stream(
        db, alice["id"], viewer_count=142, title="Standup coding"
    )

    response = await client.get("/api/v1/streams/users/alice/profile")
    offline = await client.get("/api/v1/streams/users/bob/profile")
    missing = await client.get("/api/v1/streams/users/ghost_user/profile")

    assert response.status == 200
    body = await response.json()
    assert body["display_name"] == "Alice Chen"
    assert body["follower_count"] == 1
    assert body["following_count"] == 0
    assert body["total_views"] == 98432
    assert body["is_live"] is True
    assert body["current_stream"] == {
        "id": str(stream["id"]),
        "title": "Standup coding",
        "viewer_count": 142,
        "status": "live",
    }
    offline_body = await offline.json()
    assert offline_body["is_live"] is False
    assert offline_body["current_stream"] is None
    assert offline_body["following_count"] == 1
    assert missing.status == 404
