"""Follow notifications: listing with render data, unread count and read marks."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from core.clock import utc_now
from tests.community_support import insert_notification, insert_stream
from tests.conftest import bearer

BASE = "/api/v1/streams/notifications/follows"


async def test_list_renders_both_kinds_newest_first(
    client: TestClient, db: Any, make_user: Any
) -> None:
    viewer, viewer_key = await make_user("viewer")
    streamer, _ = await make_user(
        "streamer", display_name="Star Streamer", avatar_url="https://cdn.example/a.png"
    )
    fan, _ = await make_user("fan", display_name="Big Fan")
    stream = await insert_stream(db, streamer["id"], title="Morning coding")
    now = utc_now()
    await insert_notification(
        db,
        viewer["id"],
        streamer["id"],
        "stream_live",
        stream_id=stream["id"],
        created_at=now - timedelta(minutes=5),
    )
    await insert_notification(
        db, viewer["id"], fan["id"], "new_follower", created_at=now
    )

    response = await client.get(BASE, headers=bearer(viewer_key))

    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["total"] == 2
    newest, oldest = body["notifications"]
    assert newest["kind"] == "new_follower"
    assert newest["actor"]["username"] == "fan"
    assert newest["actor"]["display_name"] == "Big Fan"
    assert newest["stream"] is None
    assert newest["message"] == "Big Fan followed you"
    assert newest["read"] is False
    assert oldest["kind"] == "stream_live"
    assert oldest["actor"]["id"] == str(streamer["id"])
    assert oldest["actor"]["avatar_url"] == "https://cdn.example/a.png"
    assert oldest["stream"] == {
        "id": str(stream["id"]),
        "title": "Morning coding",
        "status": "live",
    }
    assert oldest["message"] == "Star Streamer is live: Morning coding"


async def test_list_paginates_and_hides_other_users(
    client: TestClient, db: Any, make_user: Any
) -> None:
    viewer, viewer_key = await make_user("viewer")
    other, _ = await make_user("other")
    actor, _ = await make_user("actor")
    now = utc_now()
    for index in range(3):
        await insert_notification(
            db,
            viewer["id"],
            actor["id"],
            "new_follower",
            created_at=now - timedelta(minutes=index),
        )
    await insert_notification(db, other["id"], actor["id"], "new_follower")

    first = await (
        await client.get(f"{BASE}?per_page=2", headers=bearer(viewer_key))
    ).json()
    second = await (
        await client.get(f"{BASE}?per_page=2&page=2", headers=bearer(viewer_key))
    ).json()
    anonymous = await client.get(BASE)

    assert first["total"] == 3
    assert len(first["notifications"]) == 2
    assert first["has_more"] is True
    assert len(second["notifications"]) == 1
    assert second["has_more"] is False
    assert anonymous.status == 401


async def test_mark_read_and_unread_count(
    client: TestClient, db: Any, make_user: Any
) -> None:
    viewer, viewer_key = await make_user("viewer")
    _, intruder_key = await make_user("intruder")
    actor, _ = await make_user("actor")
    first = await insert_notification(db, viewer["id"], actor["id"], "new_follower")
    await insert_notification(db, viewer["id"], actor["id"], "new_follower")

    before = await (
        await client.get(f"{BASE}/unread-count", headers=bearer(viewer_key))
    ).json()
    marked = await client.post(f"{BASE}/{first['id']}/read", headers=bearer(viewer_key))
    marked_again = await client.post(
        f"{BASE}/{first['id']}/read", headers=bearer(viewer_key)
    )
    foreign = await client.post(
        f"{BASE}/{first['id']}/read", headers=bearer(intruder_key)
    )
    missing = await client.post(
        f"{BASE}/{uuid.uuid4()}/read", headers=bearer(viewer_key)
    )
    malformed = await client.post(f"{BASE}/not-a-uuid/read", headers=bearer(viewer_key))
    anonymous = await client.post(f"{BASE}/{first['id']}/read")
    after = await (
        await client.get(f"{BASE}/unread-count", headers=bearer(viewer_key))
    ).json()

    assert before == {"unread_count": 2}
    assert marked.status == 204
    assert marked_again.status == 204
    assert foreign.status == 404
    assert missing.status == 404
    assert malformed.status == 422
    assert anonymous.status == 401
    assert after == {"unread_count": 1}
    listed = await (await client.get(BASE, headers=bearer(viewer_key))).json()
    read_flags = {item["id"]: item["read"] for item in listed["notifications"]}
    assert read_flags[str(first["id"])] is True


async def test_mark_all_read(client: TestClient, db: Any, make_user: Any) -> None:
    viewer, viewer_key = await make_user("viewer")
    other, other_key = await make_user("other")
    actor, _ = await make_user("actor")
    for _ in range(3):
        await insert_notification(db, viewer["id"], actor["id"], "new_follower")
    await insert_notification(db, other["id"], actor["id"], "new_follower")

    response = await client.post(f"{BASE}/read-all", headers=bearer(viewer_key))
    repeat = await client.post(f"{BASE}/read-all", headers=bearer(viewer_key))
    anonymous = await client.post(f"{BASE}/read-all")

    assert response.status == 200
    assert await response.json() == {"marked_read": 3}
    assert await repeat.json() == {"marked_read": 0}
    assert anonymous.status == 401
    viewer_count = await (
        await client.get(f"{BASE}/unread-count", headers=bearer(viewer_key))
    ).json()
    other_count = await (
        await client.get(f"{BASE}/unread-count", headers=bearer(other_key))
    ).json()
    assert viewer_count == {"unread_count": 0}
    assert other_count == {"unread_count": 1}
