"""Registration, login and API keys over HTTP."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import TEST_PASSWORD


async def register(
    client,
    username="alice",
    email="alice@example.com",
    password="s3cret-password",
    **extra,
):
    body = {"username": username, "email": email, "password": password, **extra}
    return await client.post("/api/v1/auth/register", json=body)


async def test_register_returns_user_and_key(client):
    response = await register(client, display_name="Alice Chen")

    assert response.status == 201
    body = await response.json()
    assert body["user"]["username"] == "alice"
    assert body["user"]["display_name"] == "Alice Chen"
    assert body["api_key"].startswith("lsk_")
    assert body["api_key_info"]["prefix"] == body["api_key"][:12]
    assert "password" not in str(body["user"])


async def test_register_key_authenticates(client):
    body = await (await register(client)).json()

    response = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {body['api_key']}"}
    )

    assert response.status == 200
    assert (await response.json())["email"] == "alice@example.com"


@pytest.mark.parametrize("username", ["Alice", "ALICE", "alice"])
async def test_register_username_taken_any_case(client, username):
    await register(client, username="alice", email="first@example.com")

    response = await register(client, username=username, email="second@example.com")

    assert response.status == 409
    problem = await response.json()
    assert response.content_type == "application/problem+json"
    assert username in problem["detail"]


async def test_register_email_taken(client):
    await register(client, username="alice", email="same@example.com")

    response = await register(client, username="bob", email="SAME@example.com")

    assert response.status == 409
    assert "email" in (await response.json())["detail"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("username", "ab"),
        ("username", "has space"),
        ("username", "x" * 26),
        ("username", "émile"),
        ("email", "not-an-email"),
        ("password", "short"),
    ],
)
async def test_register_invalid_field_is_422(client, field, value):
    body = {
        "username": "valid_name",
        "email": "v@example.com",
        "password": "long enough",
        field: value,
    }

    response = await client.post("/api/v1/auth/register", json=body)

    assert response.status == 422
    problem = await response.json()
    assert [error["field"] for error in problem["errors"]] == [field]


async def test_register_rejects_non_json(client):
    response = await client.post(
        "/api/v1/auth/register",
        data="username=a",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status == 415


async def test_register_rejects_malformed_json(client):
    response = await client.post(
        "/api/v1/auth/register",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
    )

    assert response.status == 422


async def test_concurrent_registrations_one_wins(client):
    responses = await asyncio.gather(
        *(
            register(client, username="racer", email=f"racer{i}@example.com")
            for i in range(4)
        )
    )

    statuses = sorted(response.status for response in responses)
    assert statuses == [201, 409, 409, 409]


@pytest.mark.parametrize("login_field", ["username", "email"])
async def test_login_with_username_or_email(client, make_user, login_field):
    user, _ = await make_user("loginuser")

    response = await client.post(
        "/api/v1/auth/login",
        json={"login": user[login_field].upper(), "password": TEST_PASSWORD},
    )

    assert response.status == 200
    body = await response.json()
    assert body["user"]["id"] == str(user["id"])
    assert body["api_key"].startswith("lsk_")


@pytest.mark.parametrize(
    ("login", "password"), [("loginuser", "wrong password"), ("nobody", TEST_PASSWORD)]
)
async def test_login_failure_is_401(client, make_user, login, password):
    await make_user("loginuser")

    response = await client.post(
        "/api/v1/auth/login", json={"login": login, "password": password}
    )

    assert response.status == 401
    assert (await response.json())["detail"] == "invalid login or password"


async def test_api_keys_listed_without_secret(client, make_user, auth):
    _, key = await make_user()

    response = await client.get("/api/v1/auth/api-keys", headers=auth(key))

    assert response.status == 200
    keys = (await response.json())["api_keys"]
    assert len(keys) == 1
    assert keys[0]["prefix"] == key[:12]
    assert key not in str(keys)


async def test_api_key_revoked_stops_working(client, make_user, auth):
    _, key = await make_user()
    created = await (
        await client.post(
            "/api/v1/auth/api-keys", json={"name": "ci"}, headers=auth(key)
        )
    ).json()
    second_key = created["api_key"]
    key_id = created["api_key_info"]["id"]

    response = await client.delete(f"/api/v1/auth/api-keys/{key_id}", headers=auth(key))

    assert response.status == 204
    assert (await client.get("/api/v1/auth/me", headers=auth(second_key))).status == 401
    assert (await client.get("/api/v1/auth/me", headers=auth(key))).status == 200


async def test_revoke_someone_elses_key_is_404(client, make_user, auth):
    _, key = await make_user()
    _, other_key = await make_user()
    other_keys = await (
        await client.get("/api/v1/auth/api-keys", headers=auth(other_key))
    ).json()

    response = await client.delete(
        f"/api/v1/auth/api-keys/{other_keys['api_keys'][0]['id']}", headers=auth(key)
    )

    assert response.status == 404


@pytest.mark.parametrize(
    "header", [None, "Bearer", "Basic abc", "Bearer lsk_unknown", "bearer  "]
)
async def test_me_without_valid_key_is_401(client, header):
    headers = {"Authorization": header} if header is not None else {}

    response = await client.get("/api/v1/auth/me", headers=headers)

    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.content_type == "application/problem+json"


async def test_me_with_non_utf8_key_is_401(client):
    host, port = client.server.host, client.server.port
    reader, writer = await asyncio.open_connection(host, port)
    request = (
        b"GET /api/v1/auth/me HTTP/1.1\r\n"
        + f"Host: {host}:{port}\r\n".encode()
        + b"Authorization: Bearer lsk_\xff\xfe\r\n"
        + b"Connection: close\r\n"
        + b"\r\n"
    )
    writer.write(request)
    await writer.drain()
    try:
        status_line = await asyncio.wait_for(reader.readline(), timeout=10)
    finally:
        writer.close()

    assert status_line.startswith(b"HTTP/1.1 401"), status_line
