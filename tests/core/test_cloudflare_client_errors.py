"""CloudflareStream against small servers that misbehave in one way each."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from multidict import CIMultiDict

from core.cloudflare import (
    CloudflareError,
    CloudflareRateLimited,
    CloudflareStream,
    CloudflareTimeout,
    LiveInputNotFound,
)
from core.cloudflare.transport import parse_retry_after

ACCOUNT = "0123456789abcdef0123456789abcdef"
UID = "a" * 32
TOKEN = "very-secret-token"
STREAM_KEY = "very-secret-stream-key"

Responder = Callable[[web.Request], Any]


def live_input_result(status: Any = None) -> dict[str, Any]:
    return {
        "uid": UID,
        "created": "2024-01-02T03:04:05.123456Z",
        "modified": "2024-01-02T03:04:05.123456Z",
        "meta": {"name": "x"},
        "enabled": True,
        "status": status,
        "rtmps": {
            "url": "rtmps://live.cloudflare.com:443/live/",
            "streamKey": STREAM_KEY,
        },
    }


def envelope(result: Any) -> dict[str, Any]:
    return {"success": True, "errors": [], "messages": [], "result": result}


@dataclass
class FakeCloudflare:
    """A server whose every request is handled by the current ``responder``."""

    server: TestServer
    session: aiohttp.ClientSession
    requests: list[dict[str, Any]] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)
    responder: Responder | None = None

    def client(self, **options: Any) -> CloudflareStream:
        async def record_sleep(seconds: float) -> None:
            self.sleeps.append(seconds)

        base = str(self.server.make_url("")).rstrip("/")
        arguments: dict[str, Any] = {
            "api_base": f"{base}/client/v4",
            "account_id": ACCOUNT,
            "api_token": TOKEN,
            "delivery_base": f"{base}/delivery",
            "timeout_seconds": 2.0,
            "max_retries": 2,
            "sleep": record_sleep,
        }
        arguments.update(options)
        return CloudflareStream(self.session, **arguments)


@pytest.fixture
async def fake(aiohttp_server: Any) -> AsyncIterator[FakeCloudflare]:
    holder: list[FakeCloudflare] = []

    async def handle(request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        holder[0].requests.append(
            {
                "method": request.method,
                "path": request.path,
                "headers": dict(request.headers),
                "json": json.loads(raw) if raw else None,
            }
        )
        assert holder[0].responder is not None
        response = holder[0].responder(request)
        if asyncio.iscoroutine(response):
            response = await response
        return response

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    server = await aiohttp_server(app)
    async with aiohttp.ClientSession() as session:
        holder.append(FakeCloudflare(server=server, session=session))
        yield holder[0]


def always(response_factory: Callable[[], web.StreamResponse]) -> Responder:
    return lambda request: response_factory()


def sequence(*factories: Callable[[], web.StreamResponse]) -> Responder:
    remaining = list(factories)
    return lambda request: remaining.pop(0)()


def ok(result: Any) -> Callable[[], web.Response]:
    return lambda: web.json_response(envelope(result))


# Requests the client sends.


async def test_create_request_shape(fake: FakeCloudflare) -> None:
    fake.responder = always(ok(live_input_result()))

    await fake.client().create_live_input(
        meta={"name": "x"}, delete_recording_after_days=60
    )

    request = fake.requests[0]
    assert request["method"] == "POST"
    assert request["path"] == f"/client/v4/accounts/{ACCOUNT}/stream/live_inputs"
    assert request["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["json"] == {
        "meta": {"name": "x"},
        "recording": {
            "mode": "automatic",
            "timeoutSeconds": 0,
            "requireSignedURLs": False,
            "allowedOrigins": None,
            "hideLiveViewerCount": False,
        },
        "deleteRecordingAfterDays": 60,
    }


async def test_update_sends_only_given_fields(fake: FakeCloudflare) -> None:
    fake.responder = always(ok(live_input_result()))

    await fake.client().update_live_input(UID, enabled=False)

    assert fake.requests[0]["method"] == "PUT"
    assert fake.requests[0]["json"] == {"enabled": False}


async def test_rotate_path(fake: FakeCloudflare) -> None:
    fake.responder = always(ok(live_input_result()))

    await fake.client().rotate_live_input_keys(UID)

    assert fake.requests[0]["method"] == "POST"
    assert fake.requests[0]["path"].endswith(f"/stream/live_inputs/{UID}/rotate_keys")


async def test_views_sends_no_token(fake: FakeCloudflare) -> None:
    fake.responder = always(lambda: web.json_response({"liveViewers": 3}))

    assert await fake.client().get_viewer_count(UID) == 3
    assert fake.requests[0]["path"] == f"/delivery/{UID}/views"
    assert "Authorization" not in fake.requests[0]["headers"]


async def test_lifecycle_sends_token(fake: FakeCloudflare) -> None:
    fake.responder = always(
        lambda: web.json_response({"isInput": True, "videoUID": "v" * 32, "live": True})
    )

    lifecycle = await fake.client().get_lifecycle(UID)

    assert lifecycle.video_uid == "v" * 32
    assert fake.requests[0]["path"] == f"/delivery/{UID}/lifecycle"
    assert fake.requests[0]["headers"]["Authorization"] == f"Bearer {TOKEN}"


# Status shapes.


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (None, None),
        ("connected", "connected"),
        ({"current": {"state": "disconnected"}}, "disconnected"),
        (
            {"current": {"state": "connected", "reason": "x"}, "history": []},
            "connected",
        ),
        ({"current": None}, None),
    ],
)
async def test_status_shapes(
    fake: FakeCloudflare, status: Any, expected: str | None
) -> None:
    fake.responder = always(ok(live_input_result(status)))

    live_input = await fake.client().get_live_input(UID)

    assert live_input.status == expected


async def test_status_unknown_shape_raises(fake: FakeCloudflare) -> None:
    fake.responder = always(ok(live_input_result(["connected"])))

    with pytest.raises(CloudflareError, match="status has an unknown shape"):
        await fake.client().get_live_input(UID)


# Malformed and failed responses.


async def test_malformed_json_not_retried(fake: FakeCloudflare) -> None:
    fake.responder = always(
        lambda: web.Response(text="{oops", content_type="application/json")
    )

    with pytest.raises(CloudflareError, match="not valid JSON") as caught:
        await fake.client().get_live_input(UID)

    assert caught.value.http_status == 200
    assert len(fake.requests) == 1


async def test_non_envelope_json_raises(fake: FakeCloudflare) -> None:
    fake.responder = always(lambda: web.json_response([live_input_result()]))

    with pytest.raises(CloudflareError, match="not a Cloudflare envelope"):
        await fake.client().get_live_input(UID)


async def test_success_false_with_200(fake: FakeCloudflare) -> None:
    body = {
        "success": False,
        "errors": [{"code": 10010, "message": "nope"}],
        "messages": [],
        "result": None,
    }
    fake.responder = always(lambda: web.json_response(body))

    with pytest.raises(CloudflareError) as caught:
        await fake.client().create_live_input(meta={})

    assert caught.value.http_status == 200
    assert caught.value.code == 10010
    assert caught.value.cf_message == "nope"
    assert len(fake.requests) == 1


async def test_result_without_credentials_raises(fake: FakeCloudflare) -> None:
    result = live_input_result()
    del result["rtmps"]
    fake.responder = always(ok(result))

    with pytest.raises(CloudflareError, match="rtmps is missing"):
        await fake.client().get_live_input(UID)


async def test_parse_error_hides_stream_key(fake: FakeCloudflare) -> None:
    result = live_input_result()
    result["created"] = "not a date"
    fake.responder = always(ok(result))

    with pytest.raises(CloudflareError) as caught:
        await fake.client().get_live_input(UID)

    assert "created" in str(caught.value)
    assert STREAM_KEY not in str(caught.value)
    assert TOKEN not in str(caught.value)


async def test_404_without_envelope_is_not_found(fake: FakeCloudflare) -> None:
    fake.responder = always(lambda: web.Response(status=404, text="gone"))

    with pytest.raises(LiveInputNotFound) as caught:
        await fake.client().delete_live_input(UID)

    assert caught.value.code is None
    assert len(fake.requests) == 1


async def test_500_html_then_success(fake: FakeCloudflare) -> None:
    fake.responder = sequence(
        lambda: web.Response(
            status=502, text="<html>bad gateway</html>", content_type="text/html"
        ),
        ok(live_input_result()),
    )

    live_input = await fake.client().get_live_input(UID)

    assert live_input.uid == UID
    assert len(fake.requests) == 2
    assert len(fake.sleeps) == 1


@pytest.mark.parametrize(
    "body",
    [{"liveViewers": -1}, {"liveViewers": True}, {"liveViewers": "4"}, {}, [1]],
)
async def test_views_invalid_values(fake: FakeCloudflare, body: Any) -> None:
    fake.responder = always(lambda: web.json_response(body))

    with pytest.raises(CloudflareError, match="unexpected response") as caught:
        await fake.client().get_viewer_count(UID)

    assert caught.value.operation == "get_viewer_count"


async def test_lifecycle_missing_live_raises(fake: FakeCloudflare) -> None:
    fake.responder = always(
        lambda: web.json_response({"isInput": True, "videoUID": None})
    )

    with pytest.raises(CloudflareError, match="live is missing"):
        await fake.client().get_lifecycle(UID)


# Rate limiting.


def too_many(headers: dict[str, str] | None = None) -> Callable[[], web.Response]:
    body = {
        "success": False,
        "errors": [{"code": 971, "message": "slow down"}],
        "messages": [],
        "result": None,
    }
    return lambda: web.json_response(body, status=429, headers=headers)


async def test_429_retry_after_seconds(fake: FakeCloudflare) -> None:
    fake.responder = sequence(too_many({"retry-after": "2"}), ok(live_input_result()))

    await fake.client().get_live_input(UID)

    assert fake.sleeps == [2.0]


async def test_429_retry_after_http_date(fake: FakeCloudflare) -> None:
    moment = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    fake.responder = sequence(
        too_many({"retry-after": moment}), ok(live_input_result())
    )

    await fake.client().get_live_input(UID)

    assert len(fake.sleeps) == 1
    assert 15 <= fake.sleeps[0] <= 20


async def test_429_without_header_uses_backoff(fake: FakeCloudflare) -> None:
    fake.responder = sequence(too_many(), ok(live_input_result()))

    await fake.client(backoff_base_seconds=0.2).get_live_input(UID)

    assert len(fake.sleeps) == 1
    assert 0.1 <= fake.sleeps[0] <= 0.2


async def test_429_retries_exhausted(fake: FakeCloudflare) -> None:
    fake.responder = always(too_many({"retry-after": "1"}))

    with pytest.raises(CloudflareRateLimited) as caught:
        await fake.client(max_retries=2).get_live_input(UID)

    assert caught.value.retry_after == 1.0
    assert caught.value.code == 971
    assert caught.value.cf_message == "slow down"
    assert len(fake.requests) == 3
    assert fake.sleeps == [1.0, 1.0]


async def test_429_retry_after_above_cap(fake: FakeCloudflare) -> None:
    fake.responder = always(too_many({"retry-after": "11"}))

    with pytest.raises(CloudflareRateLimited):
        await fake.client(max_retry_after_seconds=10).get_live_input(UID)

    assert len(fake.requests) == 1
    assert fake.sleeps == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5.0),
        ("0", 0.0),
        ("-3", 0.0),
        ("1.5", 1.5),
        ("soon", None),
        ("", None),
        ("nan", None),
    ],
)
def test_parse_retry_after(value: str, expected: float | None) -> None:
    assert parse_retry_after(CIMultiDict({"Retry-After": value})) == expected


def test_parse_retry_after_absent() -> None:
    assert parse_retry_after(CIMultiDict()) is None


# Timeouts and connection errors.


async def test_slow_server_times_out_each_attempt(fake: FakeCloudflare) -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(0.5)
        return web.json_response(envelope(live_input_result()))

    fake.responder = slow

    with pytest.raises(CloudflareTimeout) as caught:
        await fake.client(timeout_seconds=0.05, max_retries=2).get_live_input(UID)

    assert "0.05s" in str(caught.value)
    assert caught.value.http_status is None
    assert len(fake.requests) == 3
    assert len(fake.sleeps) == 2


async def test_connection_refused_retried(unused_tcp_port: int) -> None:
    sleeps: list[float] = []

    async def record_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    async with aiohttp.ClientSession() as session:
        stream_api = CloudflareStream(
            session,
            api_base=f"http://127.0.0.1:{unused_tcp_port}/client/v4",
            account_id=ACCOUNT,
            api_token=TOKEN,
            delivery_base=f"http://127.0.0.1:{unused_tcp_port}",
            max_retries=1,
            sleep=record_sleep,
        )

        with pytest.raises(CloudflareError, match="connection failed") as caught:
            await stream_api.get_live_input(UID)

    assert not isinstance(caught.value, CloudflareTimeout)
    assert TOKEN not in str(caught.value)
    assert len(sleeps) == 1


def test_constructor_rejects_empty_token() -> None:
    with pytest.raises(ValueError, match="CLOUDFLARE_API_TOKEN"):
        CloudflareStream(
            None,  # type: ignore[arg-type]
            api_base="http://127.0.0.1:9/client/v4",
            account_id=ACCOUNT,
            api_token="",
            delivery_base="http://127.0.0.1:9",
        )
