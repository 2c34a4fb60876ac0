"""Problem details, health, readiness, metrics and the OpenAPI document."""

from __future__ import annotations

from aiohttp import web

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


def test_openapi_path_strips_nested_regex():
    path = "/api/v1/streams/{stream_id:[0-9a-fA-F-]{36}}/users/{user_id}/badges"

    assert openapi_path(path) == "/api/v1/streams/{stream_id}/users/{user_id}/badges"
