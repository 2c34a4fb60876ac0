"""Problem details, health, readiness, metrics and the OpenAPI document."""

from __future__ import annotations

import pytest
from aiohttp import web
from yarl import URL

from api.app import create_app
from api.keys import DATABASE
from api.openapi import openapi_path


async def test_unknown_route_is_problem_404(client):
    response = await client.get("/api/v1/nothing-here")

    assert response.status == 404
    assert response.content_type == "application/problem+json"
    body = await response.json()
    assert body["status"] == 404
    assert body["title"] == "Not Found"


async def test_wrong_method_is_problem_405(client):
    response = await client.put("/api/v1/auth/login", json={})

    assert response.status == 405
    assert "POST" in (await response.json())["detail"]


async def test_unhandled_error_is_500_without_traceback(
    settings, db, events, aiohttp_client
):
    app = create_app(settings, database=db, events=events)

    async def explode(request: web.Request) -> web.Response:
        raise RuntimeError("secret internal detail")

    app.router.add_get("/explode", explode)
    client = await aiohttp_client(app)

    response = await client.get("/explode")

    assert response.status == 500
    text = await response.text()
    assert "secret internal detail" not in text
    assert "Traceback" not in text
    assert response.content_type == "application/problem+json"


async def test_request_id_echoed(client):
    response = await client.get("/healthz", headers={"X-Request-Id": "abc-123"})

    assert response.headers["X-Request-Id"] == "abc-123"


async def test_healthz_ok(client):
    response = await client.get("/healthz")

    assert response.status == 200
    assert (await response.json())["status"] == "ok"


async def test_readyz_ok_with_dependencies(client):
    response = await client.get("/readyz")

    assert response.status == 200
    assert (await response.json())["checks"] == {"postgresql": "ok", "redis": "ok"}


async def test_readyz_503_when_postgres_down(client, app):
    await app[DATABASE].close()

    response = await client.get("/readyz")

    assert response.status == 503
    assert (await response.json())["checks"]["postgresql"].startswith("failed")


async def test_metrics_count_requests_by_route(client):
    await client.get("/api/v1/categories")

    text = await (await client.get("/metrics")).text()

    assert (
        'http_requests_total{method="GET",route="/api/v1/categories",status="200"}'
        in text
    )
    assert "http_request_duration_seconds_bucket" in text
    assert "http_requests_in_progress" in text


async def test_openapi_lists_every_route(client, app):
    document = await (await client.get("/api/v1/openapi.json")).json()

    assert document["openapi"] == "3.1.0"
    documented = {
        (method, path)
        for path, operations in document["paths"].items()
        for method in operations
    }
    registered = {
        (route.method.lower(), openapi_path(route.resource.canonical))
        for route in app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith(("/api/v1/", "/webhooks/"))
        and route.method != "HEAD"
    }
    registered.discard(("get", "/api/v1/openapi.json"))
    assert sorted(registered - documented) == []
    assert len(registered) > 10


async def test_openapi_operation_ids_unique(client):
    document = await (await client.get("/api/v1/openapi.json")).json()

    ids = [
        operation["operationId"]
        for operations in document["paths"].values()
        for operation in operations.values()
    ]
    assert len(ids) == len(set(ids))
    assert "streams_end" in ids
    assert "streams_end_2" in ids


def test_openapi_path_strips_nested_regex():
    path = "/api/v1/streams/{stream_id:[0-9a-fA-F-]{36}}/users/{user_id}/badges"

    assert openapi_path(path) == "/api/v1/streams/{stream_id}/users/{user_id}/badges"


NUL_BODY_CASES = [
    (
        "/api/v1/auth/register",
        "post",
        {
            "username": "nul_body",
            "email": "nul@example.com",
            "password": "a\x00b1234567",
        },
        "password",
    ),
    ("/api/v1/auth/login", "post", {"login": "a\x00b", "password": "x"}, "login"),
    ("/api/v1/auth/api-keys", "post", {"name": "a\x00b"}, "name"),
    ("/api/v1/streams/", "post", {"title": "a\x00b"}, "title"),
    ("/api/v1/streams/me/profile", "patch", {"bio": "a\x00b"}, "bio"),
    (
        "/api/v1/streams/me/profile",
        "patch",
        {"social_links": {"github": "https://github.com/\x00"}},
        "social_links.github",
    ),
    (
        "/api/v1/streams/me/schedule",
        "post",
        {
            "day_of_week": 1,
            "start_time": "10:00",
            "end_time": "11:00",
            "timezone": "UTC",
            "title": "a\x00b",
        },
        "title",
    ),
]


@pytest.mark.parametrize(("path", "method", "body", "field"), NUL_BODY_CASES)
async def test_nul_in_body_string_is_422(
    client, make_user, auth, path, method, body, field
):
    _, key = await make_user()

    response = await getattr(client, method)(path, json=body, headers=auth(key))

    assert response.status == 422, await response.text()
    problem = await response.json()
    assert response.content_type == "application/problem+json"
    assert problem["errors"][0]["location"] == "body"
    assert problem["errors"][0]["field"] == field
    assert "U+0000" in problem["detail"]


async def test_nul_in_query_is_422(client):
    response = await client.get("/api/v1/streams/", params={"search": "a\x00b"})

    assert response.status == 422, await response.text()
    problem = await response.json()
    assert problem["errors"][0]["location"] == "query"
    assert problem["errors"][0]["field"] == "search"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/streams/users/a%00b/live"),
        ("get", "/api/v1/streams/users/a%00b/streams"),
        ("get", "/api/v1/streams/users/a%00b/followers"),
        ("get", "/api/v1/streams/users/a%00b/schedule.ics"),
        ("get", "/api/v1/streams/streamers/a%00b/profile"),
        ("get", "/api/v1/streams/users/a%00b/profile"),
        ("post", "/api/v1/streams/users/a%00b/follow"),
    ],
)
async def test_nul_in_username_path_is_404(client, make_user, auth, method, path):
    _, key = await make_user()

    response = await getattr(client, method)(URL(path, encoded=True), headers=auth(key))

    assert response.status == 404, await response.text()
    assert response.content_type == "application/problem+json"


async def test_openapi_documents_json_body_errors(client):
    document = await (await client.get("/api/v1/openapi.json")).json()
    paths = document["paths"]

    create = paths["/api/v1/streams/"]["post"]["responses"]
    assert "415" in create
    assert "413" in create
    webhook = paths["/webhooks/cloudflare"]["post"]["responses"]
    assert "415" not in webhook
    listing = paths["/api/v1/streams/"]["get"]["responses"]
    assert "415" not in listing


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/v1/streams/me/schedule", "application/json"),
        ("/api/v1/streams/me/profile/avatar", "multipart/form-data; boundary=xyz"),
        ("/webhooks/cloudflare", "application/json"),
    ],
)
async def test_undecodable_content_encoding_is_400(
    client, make_user, auth, path, content_type
):
    _, key = await make_user()
    headers = {
        **auth(key),
        "cf-webhook-auth": "test-webhook-secret",
        "Content-Type": content_type,
        "Content-Encoding": "gzip",
    }

    response = await client.post(path, data=b"not gzip at all", headers=headers)

    assert response.status == 400, await response.text()
    assert response.content_type == "application/problem+json"
    assert "Content-Encoding" in (await response.json())["detail"]
