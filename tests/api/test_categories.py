"""Category listing and creation."""

from __future__ import annotations


async def test_categories_listed_by_name(client, make_user, auth):
    _, admin_key = await make_user(is_admin=True)
    for name in ["Technology", "art", "Music"]:
        response = await client.post(
            "/api/v1/categories", json={"name": name}, headers=auth(admin_key)
        )
        assert response.status == 201

    body = await (await client.get("/api/v1/categories?per_page=2")).json()

    assert [item["name"] for item in body["categories"]] == ["art", "Music"]
    assert body["total"] == 3
    assert body["has_more"] is True


async def test_category_create_needs_admin(client, make_user, auth):
    _, key = await make_user()

    response = await client.post(
        "/api/v1/categories", json={"name": "Games"}, headers=auth(key)
    )

    assert response.status == 403


async def test_category_duplicate_is_409(client, make_user, auth):
    _, admin_key = await make_user(is_admin=True)
    await client.post(
        "/api/v1/categories", json={"name": "Games"}, headers=auth(admin_key)
    )

    response = await client.post(
        "/api/v1/categories", json={"name": "games"}, headers=auth(admin_key)
    )

    assert response.status == 409


async def test_categories_per_page_over_limit_is_422(client):
    response = await client.get("/api/v1/categories?per_page=101")

    assert response.status == 422
    assert (await response.json())["errors"][0]["field"] == "per_page"


async def test_categories_page_beyond_depth_is_422(client):
    response = await client.get("/api/v1/categories?page=101&per_page=100")

    assert response.status == 422
    errors = (await response.json())["errors"]
    assert errors[0]["field"] == "page"
    assert "page 101 with per_page 100" in errors[0]["message"]


async def test_categories_deepest_page_allowed(client):
    response = await client.get("/api/v1/categories?page=100&per_page=100")

    assert response.status == 200
