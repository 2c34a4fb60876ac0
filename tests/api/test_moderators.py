"""Moderator and VIP management (broadcaster only) and badges in a stream's context."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp.test_utils import TestClient

from tests.community_support import insert_stream
from tests.conftest import bearer


def moderators_path(stream_id: Any) -> str:
    return f"/api/v1/streams/{stream_id}/moderators"


async def setup_channel(db: Any, make_user: Any) -> dict[str, Any]:
    owner, owner_key = await make_user("owner", is_verified=True)
    helper, helper_key = await make_user("helper")
    fan, fan_key = await make_user("fan")
    stream = await insert_stream(db, owner["id"])
    return {
        "stream": stream,
        "owner": owner,
        "owner_key": owner_key,
        "helper": helper,
        "helper_key": helper_key,
        "fan": fan,
        "fan_key": fan_key,
    }


async def test_add_list_and_remove_roles(
    client: TestClient, db: Any, make_user: Any
) -> None:
    channel = await setup_channel(db, make_user)
    path = moderators_path(channel["stream"]["id"])
    owner_headers = bearer(channel["owner_key"])

    moderator = await client.post(
        path,
        json={"user_id": str(channel["helper"]["id"]), "badge_type": "moderator"},
        headers=owner_headers,
    )
    vip = await client.post(
        path,
        json={"user_id": str(channel["fan"]["id"]), "badge_type": "vip"},
        headers=owner_headers,
    )
    listed = await (await client.get(path)).json()
    only_vips = await (await client.get(f"{path}?badge_type=vip")).json()

    assert moderator.status == 201, await moderator.text()
    assert (await moderator.json())["badge_type"] == "moderator"
    assert (await moderator.json())["username"] == "helper"
    assert vip.status == 201
    assert listed["total"] == 2
    assert {
        (item["username"], item["badge_type"]) for item in listed["moderators"]
    } == {
        ("helper", "moderator"),
        ("fan", "vip"),
    }
    assert [item["username"] for item in only_vips["moderators"]] == ["fan"]
    first_page = await (await client.get(f"{path}?per_page=1")).json()
    assert first_page["total"] == 2
    assert first_page["has_more"] is True
    assert [item["username"] for item in first_page["moderators"]] == ["helper"]

    removed = await client.delete(
        f"{path}/{channel['helper']['id']}", headers=owner_headers
    )
    removed_again = await client.delete(
        f"{path}/{channel['helper']['id']}", headers=owner_headers
    )
    remaining = await (await client.get(path)).json()

    assert removed.status == 204
    assert removed_again.status == 404
    assert [item["username"] for item in remaining["moderators"]] == ["fan"]


async def test_roles_carry_over_to_next_stream(
    client: TestClient, db: Any, make_user: Any
) -> None:
    channel = await setup_channel(db, make_user)
    await client.post(
        moderators_path(channel["stream"]["id"]),
        json={"user_id": str(channel["helper"]["id"]), "badge_type": "moderator"},
        headers=bearer(channel["owner_key"]),
    )
    next_stream = await insert_stream(db, channel["owner"]["id"], status="offline")

    listed = await (await client.get(moderators_path(next_stream["id"]))).json()

    assert [item["username"] for item in listed["moderators"]] == ["helper"]


async def test_role_management_failures(
    client: TestClient, db: Any, make_user: Any
) -> None:
    channel = await setup_channel(db, make_user)
    path = moderators_path(channel["stream"]["id"])
    owner_headers = bearer(channel["owner_key"])
    grant = {"user_id": str(channel["fan"]["id"]), "badge_type": "moderator"}
    await client.post(path, json=grant, headers=owner_headers)

    not_broadcaster = await client.post(
        path,
        json={"user_id": str(channel["helper"]["id"]), "badge_type": "vip"},
        headers=bearer(channel["fan_key"]),
    )
    duplicate = await client.post(path, json=grant, headers=owner_headers)
    self_grant = await client.post(
        path,
        json={"user_id": str(channel["owner"]["id"]), "badge_type": "vip"},
        headers=owner_headers,
    )
    bad_badge = await client.post(
        path,
        json={"user_id": str(channel["helper"]["id"]), "badge_type": "admin"},
        headers=owner_headers,
    )
    unknown_user = await client.post(
        path,
        json={"user_id": str(uuid.uuid4()), "badge_type": "vip"},
        headers=owner_headers,
    )
    unknown_stream = await client.post(
        moderators_path(uuid.uuid4()), json=grant, headers=owner_headers
    )
    anonymous = await client.post(path, json=grant)
    remove_by_moderator = await client.delete(
        f"{path}/{channel['fan']['id']}", headers=bearer(channel["fan_key"])
    )
    list_bad_filter = await client.get(f"{path}?badge_type=owner")
    list_unknown_stream = await client.get(moderators_path(uuid.uuid4()))

    assert not_broadcaster.status == 403
    assert duplicate.status == 400
    assert self_grant.status == 400
    assert bad_badge.status == 422
    assert unknown_user.status == 404
    assert unknown_stream.status == 404
    assert anonymous.status == 401
    assert remove_by_moderator.status == 403
    assert list_bad_filter.status == 422
    assert list_unknown_stream.status == 404


async def test_remove_only_named_badge(
    client: TestClient, db: Any, make_user: Any
) -> None:
    channel = await setup_channel(db, make_user)
    path = moderators_path(channel["stream"]["id"])
    owner_headers = bearer(channel["owner_key"])
    for badge in ("moderator", "vip"):
        await client.post(
            path,
            json={"user_id": str(channel["fan"]["id"]), "badge_type": badge},
            headers=owner_headers,
        )

    removed = await client.delete(
        f"{path}/{channel['fan']['id']}?badge_type=vip", headers=owner_headers
    )
    listed = await (await client.get(path)).json()

    assert removed.status == 204
    assert [item["badge_type"] for item in listed["moderators"]] == ["moderator"]


async def test_badges_in_stream_context(
    client: TestClient, db: Any, make_user: Any
) -> None:
    channel = await setup_channel(db, make_user)
    stream_id = channel["stream"]["id"]
    owner_headers = bearer(channel["owner_key"])
    await client.post(
        moderators_path(stream_id),
        json={"user_id": str(channel["helper"]["id"]), "badge_type": "moderator"},
        headers=owner_headers,
    )
    await client.post(
        moderators_path(stream_id),
        json={"user_id": str(channel["helper"]["id"]), "badge_type": "vip"},
        headers=owner_headers,
    )

    async def badges(user_id: Any) -> Any:
        return await client.get(f"/api/v1/streams/{stream_id}/users/{user_id}/badges")

    owner_badges = await (await badges(channel["owner"]["id"])).json()
    helper_badges = await (await badges(channel["helper"]["id"])).json()
    fan_badges = await (await badges(channel["fan"]["id"])).json()
    unknown_user = await badges(uuid.uuid4())
    unknown_stream = await client.get(
        f"/api/v1/streams/{uuid.uuid4()}/users/{channel['fan']['id']}/badges"
    )

    assert owner_badges["badges"] == ["broadcaster", "verified"]
    assert helper_badges["badges"] == ["moderator", "vip"]
    assert fan_badges["badges"] == []
    assert unknown_user.status == 404
    assert unknown_stream.status == 404


async def test_malformed_stream_id_is_422(client: TestClient) -> None:
    response = await client.get(moderators_path("-" * 36))

    assert response.status == 422
