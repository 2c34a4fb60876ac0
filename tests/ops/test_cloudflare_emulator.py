"""The emulator's Cloudflare API subset, delivery routes and control routes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from core.settings import EMULATOR_ACCOUNT_ID, EMULATOR_API_TOKEN, Settings
from ops.cloudflare_emulator import EMULATOR_STATE, EmulatorState, create_emulator_app
from ops.cloudflare_emulator.rate_limit import TokenRateLimiter

AUTH = {"Authorization": f"Bearer {EMULATOR_API_TOKEN}"}
LIVE_INPUTS = f"/client/v4/accounts/{EMULATOR_ACCOUNT_ID}/stream/live_inputs"


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "cloudflare_api_token": None,
        "cloudflare_account_id": None,
        "cloudflare_webhook_secret": "emulator-test-secret",
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class Emulator:
    server: TestServer
    state: EmulatorState
    session: aiohttp.ClientSession

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    async def call(
        self, method: str, path: str, **kwargs: Any
    ) -> tuple[int, Any, aiohttp.ClientResponse]:
        headers = {**AUTH, **kwargs.pop("headers", {})}
        async with self.session.request(
            method, self.url(path), headers=headers, **kwargs
        ) as response:
            if response.content_type == "application/json":
                body = await response.json()
            else:
                body = await response.text()
            return response.status, body, response

    async def create(self, **body: Any) -> dict[str, Any]:
        status, document, _ = await self.call("POST", LIVE_INPUTS, json=body)
        assert status == 200, document
        return document["result"]


async def start_emulator(
    aiohttp_server: Any, settings: Settings
) -> AsyncIterator[Emulator]:
    app = create_emulator_app(settings)
    server = await aiohttp_server(app)
    # Notifications go to the emulator itself, which responds with 404. Tests that
    # check notification bodies start their own receiver.
    app[EMULATOR_STATE].webhook_url = str(server.make_url("/webhook-sink"))
    async with aiohttp.ClientSession() as session:
        yield Emulator(server=server, state=app[EMULATOR_STATE], session=session)


@pytest.fixture
async def emulator(aiohttp_server: Any) -> AsyncIterator[Emulator]:
    async for running in start_emulator(aiohttp_server, make_settings()):
        yield running


# Authentication, routing and the envelope.


async def test_api_missing_token_is_403_code_10000(emulator: Emulator) -> None:
    status, body, _ = await emulator.call(
        "GET", LIVE_INPUTS, headers={"Authorization": ""}
    )

    assert status == 403
    assert body["success"] is False
    assert body["result"] is None
    assert body["errors"] == [{"code": 10000, "message": "Authentication error"}]


async def test_api_wrong_token_is_403(emulator: Emulator) -> None:
    status, body, _ = await emulator.call(
        "GET", LIVE_INPUTS, headers={"Authorization": "Bearer not-the-token"}
    )

    assert status == 403
    assert body["errors"][0]["code"] == 10000


async def test_api_wrong_account_is_403(emulator: Emulator) -> None:
    status, body, _ = await emulator.call(
        "GET", "/client/v4/accounts/ffff/stream/live_inputs"
    )

    assert status == 403
    assert body["errors"][0]["code"] == 10000


async def test_api_unknown_route_is_404_code_7003(emulator: Emulator) -> None:
    status, body, _ = await emulator.call(
        "GET", f"/client/v4/accounts/{EMULATOR_ACCOUNT_ID}/nothing"
    )

    assert status == 404
    assert body["success"] is False
    assert body["errors"][0]["code"] == 7003


async def test_api_wrong_method_is_no_route(emulator: Emulator) -> None:
    status, body, _ = await emulator.call("PATCH", LIVE_INPUTS)

    assert status == 404
    assert body["errors"][0]["code"] == 7003


# Live inputs.


async def test_create_returns_full_live_input(emulator: Emulator) -> None:
    result = await emulator.create(meta={"name": "demo"})

    assert re.fullmatch(r"[0-9a-f]{32}", result["uid"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", result["created"])
    assert result["created"] == result["modified"]
    assert result["meta"] == {"name": "demo"}
    assert result["enabled"] is True
    assert result["status"] is None
    assert result["deleteRecordingAfterDays"] is None
    assert result["preferLowLatency"] is False
    assert result["recording"] == {
        "mode": "off",
        "timeoutSeconds": 0,
        "requireSignedURLs": False,
        "allowedOrigins": None,
        "hideLiveViewerCount": False,
    }
    assert result["rtmps"]["url"] == "rtmps://live.cloudflare.com:443/live/"
    assert len(result["rtmps"]["streamKey"]) >= 32
    assert result["srt"]["streamId"] == result["uid"]
    assert result["webRTC"]["url"].endswith("/webRTC/publish")
    assert result["webRTCPlayback"]["url"].endswith(f"/{result['uid']}/webRTC/play")
    assert "keysRotatedAt" not in result


async def test_create_rejects_short_recording_retention(emulator: Emulator) -> None:
    status, body, _ = await emulator.call(
        "POST", LIVE_INPUTS, json={"meta": {}, "deleteRecordingAfterDays": 29}
    )

    assert status == 400
    assert body["success"] is False
    assert "deleteRecordingAfterDays" in body["errors"][0]["message"]
    assert emulator.state.inputs == {}


async def test_create_accepts_minimum_retention(emulator: Emulator) -> None:
    result = await emulator.create(deleteRecordingAfterDays=30)

    assert result["deleteRecordingAfterDays"] == 30


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"meta": "name"}, "meta"),
        ({"enabled": "yes"}, "enabled"),
        ({"recording": {"mode": "always"}}, "recording.mode"),
        ({"recording": {"timeoutSeconds": -1}}, "recording.timeoutSeconds"),
        ({"recording": {"allowedOrigins": "*"}}, "recording.allowedOrigins"),
        ({"deleteRecordingAfterDays": "30"}, "deleteRecordingAfterDays"),
        ([1, 2], "JSON object"),
    ],
)
async def test_create_rejects_invalid_fields(
    emulator: Emulator, body: Any, field: str
) -> None:
    status, document, _ = await emulator.call("POST", LIVE_INPUTS, json=body)

    assert status == 400
    assert field in document["errors"][0]["message"]


async def test_create_rejects_non_json_body(emulator: Emulator) -> None:
    status, document, _ = await emulator.call("POST", LIVE_INPUTS, data=b"{not json")

    assert status == 400
    assert document["success"] is False


async def test_get_unknown_uid_is_404(emulator: Emulator) -> None:
    status, body, _ = await emulator.call("GET", f"{LIVE_INPUTS}/{'0' * 32}")

    assert status == 404
    assert body["success"] is False
    assert body["errors"][0]["code"] == 10003


async def test_list_omits_credentials(emulator: Emulator) -> None:
    first = await emulator.create(meta={"name": "a"})
    await emulator.create(meta={"name": "b"})

    status, body, _ = await emulator.call(
        "GET", LIVE_INPUTS, params={"include_counts": "true"}
    )

    assert status == 200
    assert body["result"]["total"] == 2
    assert body["result"]["range"] == 2
    listed = {item["uid"]: item for item in body["result"]["liveInputs"]}
    assert set(listed[first["uid"]]) == {
        "uid",
        "created",
        "modified",
        "meta",
        "deleteRecordingAfterDays",
        "enabled",
    }


async def test_update_merges_top_level_fields(emulator: Emulator) -> None:
    created = await emulator.create(meta={"name": "keep"}, deleteRecordingAfterDays=45)

    status, body, _ = await emulator.call(
        "PUT", f"{LIVE_INPUTS}/{created['uid']}", json={"enabled": False}
    )

    assert status == 200
    assert body["result"]["enabled"] is False
    assert body["result"]["meta"] == {"name": "keep"}
    assert body["result"]["deleteRecordingAfterDays"] == 45
    assert body["result"]["modified"] >= created["modified"]


async def test_update_null_retention_clears_it(emulator: Emulator) -> None:
    created = await emulator.create(deleteRecordingAfterDays=45)

    _, body, _ = await emulator.call(
        "PUT",
        f"{LIVE_INPUTS}/{created['uid']}",
        json={"deleteRecordingAfterDays": None},
    )

    assert body["result"]["deleteRecordingAfterDays"] is None


async def test_delete_then_get_is_404(emulator: Emulator) -> None:
    created = await emulator.create()
    path = f"{LIVE_INPUTS}/{created['uid']}"

    status, body, _ = await emulator.call("DELETE", path)
    get_status, _, _ = await emulator.call("GET", path)
    again_status, _, _ = await emulator.call("DELETE", path)

    assert status == 200
    assert body["success"] is True
    assert get_status == 404
    assert again_status == 404


async def test_rotate_keys_replaces_broadcast_credentials(emulator: Emulator) -> None:
    created = await emulator.create()

    status, body, _ = await emulator.call(
        "POST", f"{LIVE_INPUTS}/{created['uid']}/rotate_keys"
    )

    rotated = body["result"]
    assert status == 200
    assert rotated["uid"] == created["uid"]
    assert rotated["rtmps"]["streamKey"] != created["rtmps"]["streamKey"]
    assert rotated["srt"]["passphrase"] != created["srt"]["passphrase"]
    assert rotated["webRTC"]["url"] != created["webRTC"]["url"]
    assert (
        rotated["rtmpsPlayback"]["streamKey"] == created["rtmpsPlayback"]["streamKey"]
    )
    assert rotated["keysRotatedAt"] == rotated["modified"]


async def test_rotate_keys_can_be_unavailable(emulator: Emulator) -> None:
    created = await emulator.create()
    status, _, _ = await emulator.call(
        "PATCH", "/__emulator/config", json={"rotate_keys_available": False}
    )
    assert status == 200

    status, body, _ = await emulator.call(
        "POST", f"{LIVE_INPUTS}/{created['uid']}/rotate_keys"
    )

    assert status == 404
    assert body["errors"][0]["code"] == 7003


async def test_status_object_format(emulator: Emulator) -> None:
    created = await emulator.create()
    await emulator.call("PATCH", "/__emulator/config", json={"status_format": "object"})
    await emulator.call("POST", f"/__emulator/live_inputs/{created['uid']}/connect")

    _, body, _ = await emulator.call("GET", f"{LIVE_INPUTS}/{created['uid']}")

    assert body["result"]["status"] == {"current": {"state": "connected"}}


# Simulated encoder and delivery routes.


async def test_connect_makes_input_live(emulator: Emulator) -> None:
    uid = (await emulator.create())["uid"]

    status, body, _ = await emulator.call(
        "POST", f"/__emulator/live_inputs/{uid}/connect"
    )
    _, lifecycle, _ = await emulator.call("GET", f"/{uid}/lifecycle")
    _, api_body, _ = await emulator.call("GET", f"{LIVE_INPUTS}/{uid}")

    assert status == 200
    assert body["live_input"]["connected"] is True
    assert body["delivery"]["event_type"] == "live_input.connected"
    assert lifecycle["isInput"] is True
    assert lifecycle["live"] is True
    assert lifecycle["videoUID"] == body["live_input"]["video_uid"]
    assert api_body["result"]["status"] == "connected"


async def test_disconnect_ends_live(emulator: Emulator) -> None:
    uid = (await emulator.create())["uid"]
    await emulator.call("POST", f"/__emulator/live_inputs/{uid}/connect")

    status, body, _ = await emulator.call(
        "POST", f"/__emulator/live_inputs/{uid}/disconnect"
    )
    _, lifecycle, _ = await emulator.call("GET", f"/{uid}/lifecycle")

    assert status == 200
    assert body["delivery"]["event_type"] == "live_input.disconnected"
    assert lifecycle == {"isInput": True, "videoUID": None, "live": False}


async def test_disconnect_when_idle_is_409(emulator: Emulator) -> None:
    uid = (await emulator.create())["uid"]

    status, body, _ = await emulator.call(
        "POST", f"/__emulator/live_inputs/{uid}/disconnect"
    )

    assert status == 409
    assert "no connected encoder" in body["error"]


async def test_connect_unknown_input_is_404(emulator: Emulator) -> None:
    status, body, _ = await emulator.call(
        "POST", f"/__emulator/live_inputs/{'a' * 32}/connect"
    )

    assert status == 404
    assert "not found" in body["error"]


async def test_disabled_input_rejects_connect(emulator: Emulator) -> None:
    uid = (await emulator.create())["uid"]
    await emulator.call("POST", f"{LIVE_INPUTS}/{uid}/disable")

    status, body, _ = await emulator.call(
        "POST", f"/__emulator/live_inputs/{uid}/connect"
    )

    assert status == 409
    assert "disabled" in body["error"]
    assert emulator.state.deliveries == []


async def test_enable_endpoint_allows_connect_again(emulator: Emulator) -> None:
    uid = (await emulator.create())["uid"]
    await emulator.call("PUT", f"{LIVE_INPUTS}/{uid}", json={"enabled": False})

    status, body, _ = await emulator.call("POST", f"{LIVE_INPUTS}/{uid}/enable")
    connect_status, _, _ = await emulator.call(
        "POST", f"/__emulator/live_inputs/{uid}/connect"
    )

    assert status == 200
    assert body["result"]["enabled"] is True
    assert connect_status == 200


async def test_disable_disconnects_connected_input(emulator: Emulator) -> None:
    uid = (await emulator.create())["uid"]
    await emulator.call("POST", f"/__emulator/live_inputs/{uid}/connect")

    status, _, _ = await emulator.call(
        "PUT", f"{LIVE_INPUTS}/{uid}", json={"enabled": False}
    )
    await emulator.state.wait_for_deliveries()

    assert status == 200
    assert emulator.state.inputs[uid].connected is False
    events = [delivery.event_type for delivery in emulator.state.deliveries]
    assert events == ["live_input.connected", "live_input.disconnected"]


async def test_rotate_disconnects_old_key(emulator: Emulator) -> None:
    created = await emulator.create()
    uid = created["uid"]
    old_key = created["rtmps"]["streamKey"]
    await emulator.call(
        "POST", f"/__emulator/live_inputs/{uid}/connect", json={"stream_key": old_key}
    )

    _, rotated, _ = await emulator.call("POST", f"{LIVE_INPUTS}/{uid}/rotate_keys")
    await emulator.state.wait_for_deliveries()
    old_status, _, _ = await emulator.call(
        "POST", f"/__emulator/live_inputs/{uid}/connect", json={"stream_key": old_key}
    )
    new_status, _, _ = await emulator.call(
        "POST",
        f"/__emulator/live_inputs/{uid}/connect",
        json={"stream_key": rotated["result"]["rtmps"]["streamKey"]},
    )

    assert emulator.state.deliveries[1].event_type == "live_input.disconnected"
    assert old_status == 403
    assert new_status == 200


async def test_delete_connected_input_notifies_disconnect(emulator: Emulator) -> None:
    uid = (await emulator.create())["uid"]
    await emulator.call("POST", f"/__emulator/live_inputs/{uid}/connect")

    await emulator.call("DELETE", f"{LIVE_INPUTS}/{uid}")
    await emulator.state.wait_for_deliveries()

    assert emulator.state.deliveries[-1].event_type == "live_input.disconnected"
    assert emulator.state.deliveries[-1].input_id == uid


async def test_manifest_204_idle_200_live(emulator: Emulator) -> None:
    uid = (await emulator.create())["uid"]

    idle_status, idle_body, _ = await emulator.call(
        "GET", f"/{uid}/manifest/video.m3u8"
    )
    await emulator.call("POST", f"/__emulator/live_inputs/{uid}/connect")
    live_status, live_body, response = await emulator.call(
        "GET", f"/{uid}/manifest/video.m3u8"
    )

    assert idle_status == 204
    assert idle_body == ""
    assert live_status == 200
    assert response.content_type == "application/vnd.apple.mpegurl"
    assert live_body.startswith("#EXTM3U\n")
    assert "#EXT-X-STREAM-INF" in live_body


async def test_delivery_routes_unknown_uid_404(emulator: Emulator) -> None:
    for path in ("views", "lifecycle", "manifest/video.m3u8"):
        status, _, _ = await emulator.call("GET", f"/{'b' * 32}/{path}")
        assert status == 404, path


async def test_viewers_control_sets_views(emulator: Emulator) -> None:
    uid = (await emulator.create())["uid"]
    await emulator.call("POST", f"/__emulator/live_inputs/{uid}/connect")

    status, _, _ = await emulator.call(
        "POST", f"/__emulator/live_inputs/{uid}/viewers", json={"count": 42}
    )
    _, views, _ = await emulator.call("GET", f"/{uid}/views")

    assert status == 200
    assert views == {"liveViewers": 42}


@pytest.mark.parametrize("body", [{"count": -1}, {"count": "3"}, {"count": True}, {}])
async def test_viewers_control_rejects_invalid_count(
    emulator: Emulator, body: dict[str, Any]
) -> None:
    uid = (await emulator.create())["uid"]

    status, document, _ = await emulator.call(
        "POST", f"/__emulator/live_inputs/{uid}/viewers", json=body
    )

    assert status == 400
    assert "count" in document["error"]


async def test_disconnect_resets_viewers(emulator: Emulator) -> None:
    uid = (await emulator.create())["uid"]
    await emulator.call("POST", f"/__emulator/live_inputs/{uid}/connect")
    await emulator.call(
        "POST", f"/__emulator/live_inputs/{uid}/viewers", json={"count": 5}
    )

    await emulator.call("POST", f"/__emulator/live_inputs/{uid}/disconnect")
    _, views, _ = await emulator.call("GET", f"/{uid}/views")

    assert views == {"liveViewers": 0}


async def test_reconnect_within_timeout_keeps_video(emulator: Emulator) -> None:
    uid = (
        await emulator.create(recording={"mode": "automatic", "timeoutSeconds": 600})
    )["uid"]
    control = f"/__emulator/live_inputs/{uid}"

    _, first, _ = await emulator.call("POST", f"{control}/connect")
    await emulator.call("POST", f"{control}/disconnect")
    _, second, _ = await emulator.call("POST", f"{control}/connect")

    assert second["live_input"]["video_uid"] == first["live_input"]["video_uid"]


async def test_reconnect_with_zero_timeout_new_video(emulator: Emulator) -> None:
    uid = (await emulator.create())["uid"]
    control = f"/__emulator/live_inputs/{uid}"

    _, first, _ = await emulator.call("POST", f"{control}/connect")
    await emulator.call("POST", f"{control}/disconnect")
    _, second, _ = await emulator.call("POST", f"{control}/connect")

    assert second["live_input"]["video_uid"] != first["live_input"]["video_uid"]


# Fault injection.


async def test_fault_route_fails_next_requests(emulator: Emulator) -> None:
    status, _, _ = await emulator.call(
        "POST",
        "/__emulator/faults",
        json={"operation": "create_live_input", "status": 503, "times": 2},
    )
    assert status == 201

    statuses = []
    for _ in range(3):
        response_status, body, _ = await emulator.call("POST", LIVE_INPUTS, json={})
        statuses.append(response_status)

    assert statuses == [503, 503, 200]
    assert body["success"] is True


async def test_fault_success_false_with_200(emulator: Emulator) -> None:
    emulator.state.inject_fault(
        "get_live_input", status=200, code=10009, message="Something odd"
    )
    uid = (await emulator.create())["uid"]

    status, body, _ = await emulator.call("GET", f"{LIVE_INPUTS}/{uid}")

    assert status == 200
    assert body["success"] is False
    assert body["errors"] == [{"code": 10009, "message": "Something odd"}]


async def test_fault_malformed_body(emulator: Emulator) -> None:
    emulator.state.inject_fault("views", status=502, body="malformed")
    uid = (await emulator.create())["uid"]

    status, body, response = await emulator.call("GET", f"/{uid}/views")

    assert status == 502
    assert response.content_type == "text/html"
    assert body.startswith("<html>")


async def test_fault_retry_after_header(emulator: Emulator) -> None:
    emulator.state.inject_fault("lifecycle", status=429, retry_after=7)
    uid = (await emulator.create())["uid"]

    status, _, response = await emulator.call("GET", f"/{uid}/lifecycle")

    assert status == 429
    assert response.headers["retry-after"] == "7"


async def test_fault_clear_route(emulator: Emulator) -> None:
    emulator.state.inject_fault("create_live_input", status=500, times=5)

    status, _, _ = await emulator.call("DELETE", "/__emulator/faults")
    _, listed, _ = await emulator.call("GET", "/__emulator/faults")
    create_status, _, _ = await emulator.call("POST", LIVE_INPUTS, json={})

    assert status == 204
    assert listed == {"faults": []}
    assert create_status == 200


@pytest.mark.parametrize(
    "body",
    [
        {"operation": "reboot"},
        {"operation": "views", "status": 99},
        {"operation": "views", "times": 0},
        {"operation": "views", "body": "garbage"},
        {"operation": "views", "colour": "red"},
        {"status": 500},
    ],
)
async def test_fault_route_rejects_invalid(
    emulator: Emulator, body: dict[str, Any]
) -> None:
    status, document, _ = await emulator.call("POST", "/__emulator/faults", json=body)

    assert status == 400
    assert document["error"]


def test_inject_fault_rejects_unknown_operation() -> None:
    state = EmulatorState(
        api_token="t",
        account_id="a",
        webhook_url="http://127.0.0.1:9/hook",
        webhook_secret=None,
        rate_limiter=TokenRateLimiter(10, 60),
    )

    with pytest.raises(ValueError, match="unknown fault operation"):
        state.inject_fault("reboot")


# Rate limiting.


async def test_rate_limit_429_after_budget(aiohttp_server: Any) -> None:
    settings = make_settings(
        emulator_rate_limit_requests=2, emulator_rate_limit_window_seconds=120
    )
    async for emulator in start_emulator(aiohttp_server, settings):
        first_status, _, first = await emulator.call("GET", LIVE_INPUTS)
        await emulator.call("GET", LIVE_INPUTS)
        status, body, response = await emulator.call("GET", LIVE_INPUTS)

        assert first_status == 200
        assert first.headers["Ratelimit"] == '"default";r=1;t=120'
        assert first.headers["Ratelimit-Policy"] == '"default";q=2;w=120'
        assert status == 429
        assert body["errors"][0]["code"] == 971
        assert response.headers["retry-after"] == "120"


def test_rate_limiter_locks_out_then_resets() -> None:
    now = [1000.0]
    limiter = TokenRateLimiter(2, 60, clock=lambda: now[0])

    allowed = [limiter.check("token").allowed for _ in range(3)]
    now[0] += 30
    during_lockout = limiter.check("token")
    now[0] += 31
    after_lockout = limiter.check("token")

    assert allowed == [True, True, False]
    assert during_lockout.allowed is False
    assert during_lockout.retry_after == 30
    assert after_lockout.allowed is True
    assert after_lockout.remaining == 1


def test_rate_limiter_counts_tokens_separately() -> None:
    limiter = TokenRateLimiter(1, 60, clock=lambda: 0.0)

    assert limiter.check("a").allowed is True
    assert limiter.check("b").allowed is True
    assert limiter.check("a").allowed is False
