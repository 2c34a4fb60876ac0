"""Follow endpoints: statuses, the follow race over HTTP, lists and followed live streams."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient

from core.events import RecordingSink, UserFollowed
from tests.community_support import insert_stream
from tests.conftest import bearer


def follow_path(username: str) -> str:
    return f"/api/v1/streams/users/{username}/follow"


async def test_follow_returns_201_and_publishes_event(
    client: TestClient, make_user: Any, events: RecordingSink
) -> None:
    alice, alice_key = await make_user("alice")
    bob, _ = await make_user("bob")

    response = await client.post(follow_path("bob"), json={}, headers=bearer(alice_key))

    assert response.status == 201, await response.text()
    body = await response.json()
    assert body["following"] is True
    assert body["notifications_enabled"] is True
    assert body["followed_at"]
    published = events.of_type(UserFollowed)
    assert [(event.follower_id, event.followed_id) for event in published] == [
        (alice["id"], bob["id"])
    ]


async def test_follow_without_body_is_accepted(
    client: TestClient, make_user: Any
) -> None:
    _, alice_key = await make_user("alice")
    await make_user("bob")

    response = await client.post(follow_path("bob"), headers=bearer(alice_key))

    assert response.status == 201, await response.text()


async def test_follow_failures(
    client: TestClient, make_user: Any, events: RecordingSink
) -> None:
    _, alice_key = await make_user("alice")
    await make_user("bob")
    first = await client.post(follow_path("bob"), json={}, headers=bearer(alice_key))
    assert first.status == 201

    again = await client.post(follow_path("bob"), json={}, headers=bearer(alice_key))
    yourself = await client.post(
        follow_path("alice"), json={}, headers=bearer(alice_key)
    )
    unknown = await client.post(
        follow_path("ghost_user"), json={}, headers=bearer(alice_key)
    )
    anonymous = await client.post(follow_path("bob"), json={})
    bad_body = await client.post(
        follow_path("bob"),
        json={"notifications_enabled": "often"},
        headers=bearer(alice_key),
    )

    assert again.status == 400
    assert yourself.status == 400
    assert unknown.status == 404
    assert anonymous.status == 401
    assert bad_body.status == 422
    assert len(events.of_type(UserFollowed)) == 1


async def test_concurrent_follow_requests_create_one_edge(
    client: TestClient, make_user: Any
) -> None:
    _, alice_key = await make_user("alice")
    await make_user("bob")

    responses = await asyncio.gather(
        *(
            client.post(follow_path("bob"), json={}, headers=bearer(alice_key))
            for _ in range(6)
        )
    )

    assert sorted(response.status for response in responses) == [
        201,
        400,
        400,
        400,
        400,
        400,
    ]
    profile = await (await client.get("/api/v1/streams/users/bob/profile")).json()
    assert profile["follower_count"] == 1


async def test_unfollow_and_status(client: TestClient, make_user: Any) -> None:
    _, alice_key = await make_user("alice")
    await make_user("bob")
    await client.post(
        follow_path("bob"),
        json={"notifications_enabled": False},
        headers=bearer(alice_key),
    )

    following = await client.get(follow_path("bob"), headers=bearer(alice_key))
    removed = await client.delete(follow_path("bob"), headers=bearer(alice_key))
    removed_again = await client.delete(follow_path("bob"), headers=bearer(alice_key))
    not_following = await client.get(follow_path("bob"), headers=bearer(alice_key))
    unknown = await client.get(follow_path("ghost_user"), headers=bearer(alice_key))
    anonymous = await client.get(follow_path("bob"))

    assert following.status == 200
    assert (await following.json())["following"] is True
    assert (await following.json())["notifications_enabled"] is False
    assert removed.status == 204
    assert removed_again.status == 404
    assert not_following.status == 200
    assert (await not_following.json())["following"] is False
    assert unknown.status == 404
    assert anonymous.status == 401
    profile = await (await client.get("/api/v1/streams/users/alice/profile")).json()
    assert profile["following_count"] == 0


async def test_followers_and_following_lists(
    client: TestClient, make_user: Any
) -> None:
    await make_user("star")
    keys = [(await make_user(f"fan_{index}"))[1] for index in range(3)]
    for key in keys:
        response = await client.post(follow_path("star"), json={}, headers=bearer(key))
        assert response.status == 201

    followers = await client.get("/api/v1/streams/users/star/followers?per_page=2")
    second_page = await client.get(
        "/api/v1/streams/users/star/followers?per_page=2&page=2"
    )
    following = await client.get("/api/v1/streams/users/fan_1/following")
    unknown = await client.get("/api/v1/streams/users/ghost_user/followers")
    bad_page = await client.get("/api/v1/streams/users/star/followers?per_page=101")

    body = await followers.json()
    assert followers.status == 200
    assert body["total"] == 3
    assert body["has_more"] is True
    assert [user["username"] for user in body["followers"]] == ["fan_2", "fan_1"]
    assert body["followers"][0]["followed_at"]
    assert [user["username"] for user in (await second_page.json())["followers"]] == [
        "fan_0"
    ]
    following_body = await following.json()
    assert following_body["total"] == 1
    assert following_body["following"][0]["username"] == "star"
    assert unknown.status == 404
    assert bad_page.status == 422


async def test_following_live_orders_by_viewers(
    client: TestClient, db: Any, make_user: Any
) -> None:
    _, viewer_key = await make_user("viewer")
    small, _ = await make_user("small")
    big, _ = await make_user("big")
    offline, _ = await make_user("offline_one")
    stranger, _ = await make_user("stranger")
    for name in ("small", "big", "offline_one"):
        await client.post(follow_path(name), json={}, headers=bearer(viewer_key))
    await insert_stream(db, small["id"], viewer_count=5, title="small show")
    await insert_stream(db, big["id"], viewer_count=500, title="big show")
    await insert_stream(db, offline["id"], status="ended")
    await insert_stream(db, stranger["id"], viewer_count=9000)

    response = await client.get(
        "/api/v1/streams/following/live", headers=bearer(viewer_key)
    )
    anonymous = await client.get("/api/v1/streams/following/live")

    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["total"] == 2
    assert [stream["title"] for stream in body["streams"]] == ["big show", "small show"]
    assert body["streams"][0]["streamer"]["username"] == "big"
    assert anonymous.status == 401
