"""Notifications the emulator posts, checked by a receiver started in each test."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from core.settings import Settings
from ops.cloudflare_emulator import EMULATOR_STATE, EmulatorState, create_emulator_app
from ops.cloudflare_emulator.notifications import (
    NotificationSender,
    WebhookTarget,
    build_notification,
    format_nanosecond_timestamp,
)

SECRET = "notification-test-secret"
UPDATED_AT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z")


@dataclass
class Receiver:
    """A webhook endpoint that records each request and responds with ``status``."""

    server: TestServer
    requests: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200

    @property
    def url(self) -> str:
        return str(self.server.make_url("/webhooks/cloudflare"))


@pytest.fixture
async def receiver(aiohttp_server: Any) -> Receiver:
    app = web.Application()
    holder: list[Receiver] = []

    async def record(request: web.Request) -> web.Response:
        holder[0].requests.append(
            {
                "headers": dict(request.headers),
                "content_type": request.content_type,
                "json": await request.json(),
            }
        )
        return web.Response(status=holder[0].status)

    app.router.add_post("/webhooks/cloudflare", record)
    holder.append(Receiver(server=await aiohttp_server(app)))
    return holder[0]


@dataclass
class Emulator:
    server: TestServer
    state: EmulatorState
    session: aiohttp.ClientSession

    async def post(self, path: str, **kwargs: Any) -> tuple[int, Any]:
        async with self.session.post(
            str(self.server.make_url(path)), **kwargs
        ) as response:
            return response.status, await response.json()


async def start_emulator(
    aiohttp_server: Any, receiver_url: str, *, secret: str
) -> AsyncIterator[Emulator]:
    settings = Settings(
        cloudflare_api_token=None,
        cloudflare_account_id=None,
        cloudflare_webhook_secret=secret,
    )
    app = create_emulator_app(settings)
    server = await aiohttp_server(app)
    app[EMULATOR_STATE].webhook_url = receiver_url
    async with aiohttp.ClientSession() as session:
        yield Emulator(server=server, state=app[EMULATOR_STATE], session=session)


@pytest.fixture
async def emulator(aiohttp_server: Any, receiver: Receiver) -> AsyncIterator[Emulator]:
    async for running in start_emulator(aiohttp_server, receiver.url, secret=SECRET):
        yield running


def new_input(emulator: Emulator) -> str:
    return emulator.state.create_input({"meta": {"name": "test"}}).uid


async def test_connect_posts_notification_body(
    emulator: Emulator, receiver: Receiver
) -> None:
    uid = new_input(emulator)

    status, body = await emulator.post(f"/__emulator/live_inputs/{uid}/connect")

    assert status == 200
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request["headers"]["cf-webhook-auth"] == SECRET
    assert request["content_type"] == "application/json"
    payload = request["json"]
    assert set(payload) == {"name", "text", "data", "ts"}
    assert payload["data"]["notification_name"] == "Stream Live Input"
    assert payload["data"]["input_id"] == uid
    assert payload["data"]["event_type"] == "live_input.connected"
    assert UPDATED_AT.fullmatch(payload["data"]["updated_at"])
    assert isinstance(payload["ts"], int)
    assert uid in payload["text"]
    assert body["delivery"]["status"] == 200


async def test_disconnect_posts_notification(
    emulator: Emulator, receiver: Receiver
) -> None:
    uid = new_input(emulator)
    await emulator.post(f"/__emulator/live_inputs/{uid}/connect")

    await emulator.post(f"/__emulator/live_inputs/{uid}/disconnect")

    events = [request["json"]["data"]["event_type"] for request in receiver.requests]
    assert events == ["live_input.connected", "live_input.disconnected"]


async def test_errored_posts_error_details(
    emulator: Emulator, receiver: Receiver
) -> None:
    uid = new_input(emulator)

    status, _ = await emulator.post(
        f"/__emulator/live_inputs/{uid}/errored",
        json={"code": "ERR_STORAGE_QUOTA_EXHAUSTED"},
    )

    data = receiver.requests[0]["json"]["data"]
    assert status == 200
    assert data["event_type"] == "live_input.errored"
    assert data["live_input_errored"]["error"]["code"] == "ERR_STORAGE_QUOTA_EXHAUSTED"
    assert data["live_input_errored"]["error"]["message"]
    assert data["live_input_errored"]["video_codec"] == "h264"


async def test_errored_without_body_uses_gop_code(
    emulator: Emulator, receiver: Receiver
) -> None:
    uid = new_input(emulator)

    await emulator.post(f"/__emulator/live_inputs/{uid}/errored")

    error = receiver.requests[0]["json"]["data"]["live_input_errored"]["error"]
    assert error["code"] == "ERR_GOP_OUT_OF_RANGE"


async def test_errored_rejects_non_string_code(
    emulator: Emulator, receiver: Receiver
) -> None:
    uid = new_input(emulator)

    status, body = await emulator.post(
        f"/__emulator/live_inputs/{uid}/errored", json={"code": 5}
    )

    assert status == 400
    assert "code" in body["error"]
    assert receiver.requests == []


async def test_updated_at_strictly_increases(
    emulator: Emulator, receiver: Receiver
) -> None:
    uid = new_input(emulator)
    control = f"/__emulator/live_inputs/{uid}"

    for _ in range(3):
        await emulator.post(f"{control}/connect")
        await emulator.post(f"{control}/disconnect")

    stamps = [
        datetime.fromisoformat(r["json"]["data"]["updated_at"])
        for r in receiver.requests
    ]
    raw = [r["json"]["data"]["updated_at"] for r in receiver.requests]
    assert len(set(raw)) == 6
    assert stamps == sorted(stamps)


async def test_deliveries_route_lists_outcomes(
    emulator: Emulator, receiver: Receiver
) -> None:
    uid = new_input(emulator)
    receiver.status = 500
    await emulator.post(f"/__emulator/live_inputs/{uid}/connect")

    async with emulator.session.get(
        str(emulator.server.make_url("/__emulator/deliveries"))
    ) as response:
        listed = await response.json()

    delivery = listed["deliveries"][0]
    assert delivery["status"] == 500
    assert delivery["error"] is None
    assert delivery["url"] == receiver.url
    assert delivery["body"]["data"]["input_id"] == uid
    assert SECRET not in str(listed)


async def test_unreachable_webhook_recorded_as_error(
    emulator: Emulator, unused_tcp_port: int
) -> None:
    emulator.state.webhook_url = (
        f"http://127.0.0.1:{unused_tcp_port}/webhooks/cloudflare"
    )
    uid = new_input(emulator)

    status, body = await emulator.post(f"/__emulator/live_inputs/{uid}/connect")

    assert status == 200
    assert body["delivery"]["status"] is None
    assert "ClientConnectorError" in body["delivery"]["error"]
    assert emulator.state.inputs[uid].connected is True


async def test_webhook_url_change_by_config(
    emulator: Emulator, aiohttp_server: Any
) -> None:
    second: list[dict[str, Any]] = []

    async def record(request: web.Request) -> web.Response:
        second.append(await request.json())
        return web.Response()

    other_app = web.Application()
    other_app.router.add_post("/other", record)
    other = await aiohttp_server(other_app)
    async with emulator.session.patch(
        str(emulator.server.make_url("/__emulator/config")),
        json={"webhook_url": str(other.make_url("/other"))},
    ) as response:
        assert response.status == 200
    uid = new_input(emulator)

    await emulator.post(f"/__emulator/live_inputs/{uid}/connect")

    assert len(second) == 1
    assert second[0]["data"]["input_id"] == uid


async def test_empty_secret_omits_header(
    aiohttp_server: Any, receiver: Receiver
) -> None:
    async for emulator in start_emulator(aiohttp_server, receiver.url, secret=""):
        uid = new_input(emulator)

        await emulator.post(f"/__emulator/live_inputs/{uid}/connect")

        assert "cf-webhook-auth" not in {
            name.lower() for name in receiver.requests[0]["headers"]
        }


async def test_sender_requires_open() -> None:
    sender = NotificationSender(WebhookTarget(url="http://127.0.0.1:9/", secret=None))

    with pytest.raises(RuntimeError, match="open"):
        await sender.send("live_input.connected", "abc")


def test_build_notification_rejects_unknown_event() -> None:
    with pytest.raises(ValueError, match="unknown event type"):
        build_notification(
            "live_input.exploded", "abc", updated_at_ns=0, policy_name="p"
        )


def test_build_notification_ts_not_before_update() -> None:
    later_ns = (int(time.time()) + 100) * 1_000_000_000

    body = build_notification(
        "live_input.connected", "abc", updated_at_ns=later_ns, policy_name="p"
    )

    assert body["ts"] >= later_ns // 1_000_000_000
    assert body["name"] == "p"


def test_format_nanosecond_timestamp() -> None:
    formatted = format_nanosecond_timestamp(1_642_074_221_855_717_910)

    assert formatted == "2022-01-13T11:43:41.855717910Z"
    assert datetime.fromisoformat(formatted).microsecond == 855717


async def test_background_send_skipped_when_closed() -> None:
    sender = NotificationSender(WebhookTarget(url="http://127.0.0.1:9/", secret=None))

    sender.send_in_background("live_input.disconnected", "abc")
    await sender.drain()

    assert sender.deliveries == []
