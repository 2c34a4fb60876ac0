"""CloudflareStream against the local emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from core.cloudflare import (
    CloudflareError,
    CloudflareRateLimited,
    CloudflareStream,
    CloudflareTimeout,
    Lifecycle,
    LiveInputNotFound,
)
from core.errors import UpstreamError, UpstreamTimeout
from core.settings import EMULATOR_ACCOUNT_ID, EMULATOR_API_TOKEN, Settings
from ops.cloudflare_emulator import EMULATOR_STATE, EmulatorState, create_emulator_app


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "cloudflare_api_token": None,
        "cloudflare_account_id": None,
        "cloudflare_webhook_secret": "client-test-secret",
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class Setup:
    server: TestServer
    state: EmulatorState
    session: aiohttp.ClientSession
    sleeps: list[float]

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    def client(self, **options: Any) -> CloudflareStream:
        """Build a client on the emulator that records back-off waits, not sleeps."""

        async def record_sleep(seconds: float) -> None:
            self.sleeps.append(seconds)

        arguments: dict[str, Any] = {
            "api_base": f"{self.url}/client/v4",
            "account_id": EMULATOR_ACCOUNT_ID,
            "api_token": EMULATOR_API_TOKEN,
            "delivery_base": self.url,
            "timeout_seconds": 5.0,
            "max_retries": 2,
            "sleep": record_sleep,
        }
        arguments.update(options)
        return CloudflareStream(self.session, **arguments)


async def start(aiohttp_server: Any, settings: Settings) -> AsyncIterator[Setup]:
    app = create_emulator_app(settings)
    server = await aiohttp_server(app)
    state = app[EMULATOR_STATE]
    state.webhook_url = str(server.make_url("/webhook-sink"))
    async with aiohttp.ClientSession() as session:
        yield Setup(server=server, state=state, session=session, sleeps=[])


@pytest.fixture
async def setup(aiohttp_server: Any) -> AsyncIterator[Setup]:
    async for running in start(aiohttp_server, make_settings()):
        yield running


@pytest.fixture
def stream_api(setup: Setup) -> CloudflareStream:
    return setup.client()


# Operations.


async def test_create_sends_automatic_recording(
    setup: Setup, stream_api: CloudflareStream
) -> None:
    live_input = await stream_api.create_live_input(
        meta={"name": "Friday show", "stream_id": "s-1"}, recording_timeout_seconds=90
    )

    stored = setup.state.inputs[live_input.uid]
    assert stored.recording["mode"] == "automatic"
    assert stored.recording["timeoutSeconds"] == 90
    assert stored.recording["requireSignedURLs"] is False
    assert stored.meta == {"name": "Friday show", "stream_id": "s-1"}
    assert live_input.meta == {"name": "Friday show", "stream_id": "s-1"}
    assert live_input.stream_key == stored.stream_key
    assert live_input.rtmps_url == "rtmps://live.cloudflare.com:443/live/"
    assert live_input.enabled is True
    assert live_input.status is None
    assert live_input.created == live_input.modified
    assert live_input.keys_rotated_at is None


async def test_create_with_recording_retention(
    setup: Setup, stream_api: CloudflareStream
) -> None:
    live_input = await stream_api.create_live_input(
        meta={}, delete_recording_after_days=30
    )

    assert live_input.delete_recording_after_days == 30
    assert setup.state.inputs[live_input.uid].delete_recording_after_days == 30


async def test_create_rejects_short_retention_locally(
    setup: Setup, stream_api: CloudflareStream
) -> None:
    with pytest.raises(ValueError, match="at least 30"):
        await stream_api.create_live_input(meta={}, delete_recording_after_days=7)

    assert setup.state.inputs == {}


async def test_get_reports_connection_status(
    setup: Setup, stream_api: CloudflareStream
) -> None:
    created = await stream_api.create_live_input(meta={})
    await setup.state.connect(created.uid)

    fetched = await stream_api.get_live_input(created.uid)

    assert fetched.uid == created.uid
    assert fetched.stream_key == created.stream_key
    assert fetched.status == "connected"


async def test_get_status_object_shape(
    setup: Setup, stream_api: CloudflareStream
) -> None:
    created = await stream_api.create_live_input(meta={})
    setup.state.status_format = "object"
    await setup.state.connect(created.uid)
    await setup.state.disconnect(created.uid)

    fetched = await stream_api.get_live_input(created.uid)

    assert fetched.status == "client_disconnect"


async def test_get_unknown_raises_not_found(stream_api: CloudflareStream) -> None:
    with pytest.raises(LiveInputNotFound) as caught:
        await stream_api.get_live_input("f" * 32)

    assert caught.value.operation == "get_live_input"
    assert caught.value.http_status == 404
    assert caught.value.code == 10003
    assert isinstance(caught.value, LookupError)
    assert isinstance(caught.value, UpstreamError)


async def test_update_enabled_and_meta(
    setup: Setup, stream_api: CloudflareStream
) -> None:
    created = await stream_api.create_live_input(meta={"name": "old"})

    disabled = await stream_api.update_live_input(created.uid, enabled=False)
    renamed = await stream_api.update_live_input(created.uid, meta={"name": "new"})

    assert disabled.enabled is False
    assert disabled.meta == {"name": "old"}
    assert renamed.enabled is False
    assert renamed.meta == {"name": "new"}
    assert setup.state.inputs[created.uid].recording["mode"] == "automatic"


async def test_update_requires_a_change(stream_api: CloudflareStream) -> None:
    with pytest.raises(ValueError, match="enabled or meta"):
        await stream_api.update_live_input("a" * 32)


async def test_disable_ends_broadcast(
    setup: Setup, stream_api: CloudflareStream
) -> None:
    created = await stream_api.create_live_input(meta={})
    await setup.state.connect(created.uid)

    await stream_api.update_live_input(created.uid, enabled=False)
    lifecycle = await stream_api.get_lifecycle(created.uid)

    assert lifecycle.live is False
    assert setup.state.inputs[created.uid].connected is False


async def test_delete_twice_raises_not_found(
    setup: Setup, stream_api: CloudflareStream
) -> None:
    created = await stream_api.create_live_input(meta={})

    await stream_api.delete_live_input(created.uid)

    assert created.uid not in setup.state.inputs
    with pytest.raises(LiveInputNotFound) as caught:
        await stream_api.delete_live_input(created.uid)
    assert caught.value.operation == "delete_live_input"


async def test_rotate_returns_new_key(
    setup: Setup, stream_api: CloudflareStream
) -> None:
    created = await stream_api.create_live_input(meta={})

    rotated = await stream_api.rotate_live_input_keys(created.uid)

    assert rotated.uid == created.uid
    assert rotated.stream_key != created.stream_key
    assert rotated.stream_key == setup.state.inputs[created.uid].stream_key
    assert rotated.keys_rotated_at is not None


async def test_rotate_unavailable_is_not_not_found(
    setup: Setup, stream_api: CloudflareStream
) -> None:
    created = await stream_api.create_live_input(meta={})
    setup.state.rotate_keys_available = False

    with pytest.raises(CloudflareError) as caught:
        await stream_api.rotate_live_input_keys(created.uid)

    assert not isinstance(caught.value, LiveInputNotFound)
    assert caught.value.code == 7003
    assert caught.value.http_status == 404


async def test_viewer_count(setup: Setup, stream_api: CloudflareStream) -> None:
    created = await stream_api.create_live_input(meta={})
    await setup.state.connect(created.uid)
    setup.state.set_viewers(created.uid, 17)

    assert await stream_api.get_viewer_count(created.uid) == 17


async def test_viewer_count_unknown_input(stream_api: CloudflareStream) -> None:
    with pytest.raises(LiveInputNotFound):
        await stream_api.get_viewer_count("c" * 32)


async def test_lifecycle_idle_and_live(
    setup: Setup, stream_api: CloudflareStream
) -> None:
    created = await stream_api.create_live_input(meta={})

    idle = await stream_api.get_lifecycle(created.uid)
    await setup.state.connect(created.uid)
    live = await stream_api.get_lifecycle(created.uid)

    assert idle == Lifecycle(is_input=True, video_uid=None, live=False)
    assert live.live is True
    assert live.video_uid == setup.state.inputs[created.uid].video_uid


def test_playback_url(stream_api: CloudflareStream, setup: Setup) -> None:
    assert (
        stream_api.playback_url("a" * 32)
        == f"{setup.url}/{'a' * 32}/manifest/video.m3u8"
    )


async def test_playback_manifest_reachable_when_live(
    setup: Setup, stream_api: CloudflareStream
) -> None:
    created = await stream_api.create_live_input(meta={})
    await setup.state.connect(created.uid)

    async with setup.session.get(stream_api.playback_url(created.uid)) as response:
        assert response.status == 200


@pytest.mark.parametrize("uid", ["", "../other", "a/b", "a" * 65, "x y"])
async def test_rejects_unsafe_uid(stream_api: CloudflareStream, uid: str) -> None:
    with pytest.raises(ValueError, match="invalid Cloudflare id"):
        await stream_api.get_live_input(uid)


# Errors and retries.


async def test_wrong_token_not_retried(setup: Setup) -> None:
    stream_api = setup.client(api_token="wrong-secret-token")

    with pytest.raises(CloudflareError) as caught:
        await stream_api.create_live_input(meta={})

    assert caught.value.http_status == 403
    assert caught.value.code == 10000
    assert caught.value.cf_message == "Authentication error"
    assert setup.sleeps == []
    assert "wrong-secret-token" not in str(caught.value)
    assert "create_live_input" in str(caught.value)
    assert "10000" in str(caught.value)


async def test_5xx_retried_then_succeeds(
    setup: Setup, stream_api: CloudflareStream
) -> None:
    setup.state.inject_fault("create_live_input", status=500, times=2)

    live_input = await stream_api.create_live_input(meta={})

    assert live_input.uid in setup.state.inputs
    assert len(setup.sleeps) == 2
    # Retry n waits between half and all of 0.5 * 2**n seconds.
    assert 0.25 <= setup.sleeps[0] <= 0.5
    assert 0.5 <= setup.sleeps[1] <= 1.0


async def test_5xx_exhausts_retries(setup: Setup, stream_api: CloudflareStream) -> None:
    setup.state.inject_fault(
        "get_live_input", status=503, times=3, code=10002, message="busy"
    )

    with pytest.raises(CloudflareError) as caught:
        await stream_api.get_live_input("d" * 32)

    assert caught.value.http_status == 503
    assert caught.value.code == 10002
    assert caught.value.cf_message == "busy"
    assert len(setup.sleeps) == 2


async def test_4xx_not_retried(setup: Setup, stream_api: CloudflareStream) -> None:
    created = await stream_api.create_live_input(meta={})
    setup.state.inject_fault("update_live_input", status=400, times=1)

    with pytest.raises(CloudflareError) as caught:
        await stream_api.update_live_input(created.uid, enabled=False)

    assert caught.value.http_status == 400
    assert setup.sleeps == []
    assert setup.state.inputs[created.uid].enabled is True


async def test_429_waits_retry_after(
    setup: Setup, stream_api: CloudflareStream
) -> None:
    setup.state.inject_fault("views", status=429, retry_after=3, code=971)
    created = await stream_api.create_live_input(meta={})

    assert await stream_api.get_viewer_count(created.uid) == 0
    assert setup.sleeps == [3.0]


async def test_429_long_retry_after_raises(
    setup: Setup, stream_api: CloudflareStream
) -> None:
    setup.state.inject_fault("get_live_input", status=429, retry_after=300, code=971)

    with pytest.raises(CloudflareRateLimited) as caught:
        await stream_api.get_live_input("e" * 32)

    assert caught.value.retry_after == 300.0
    assert caught.value.code == 971
    assert setup.sleeps == []


async def test_emulator_rate_limit_surfaces(aiohttp_server: Any) -> None:
    settings = make_settings(emulator_rate_limit_requests=2)
    async for setup in start(aiohttp_server, settings):
        stream_api = setup.client()
        created = await stream_api.create_live_input(meta={})
        await stream_api.get_live_input(created.uid)

        with pytest.raises(CloudflareRateLimited) as caught:
            await stream_api.get_live_input(created.uid)

        assert caught.value.http_status == 429
        assert caught.value.retry_after == 300.0


async def test_success_false_with_200(
    setup: Setup, stream_api: CloudflareStream
) -> None:
    setup.state.inject_fault(
        "create_live_input", status=200, code=10011, message="quota"
    )

    with pytest.raises(CloudflareError) as caught:
        await stream_api.create_live_input(meta={})

    assert caught.value.http_status == 200
    assert caught.value.code == 10011
    assert setup.sleeps == []


async def test_malformed_body_raises(
    setup: Setup, stream_api: CloudflareStream
) -> None:
    setup.state.inject_fault("create_live_input", status=200, body="malformed")

    with pytest.raises(CloudflareError, match="not valid JSON"):
        await stream_api.create_live_input(meta={})


async def test_slow_response_times_out(setup: Setup) -> None:
    stream_api = setup.client(timeout_seconds=0.05, max_retries=1)
    setup.state.inject_fault("lifecycle", delay_seconds=0.3, body="normal", times=2)
    created = await stream_api.create_live_input(meta={})

    with pytest.raises(CloudflareTimeout) as caught:
        await stream_api.get_lifecycle(created.uid)

    assert isinstance(caught.value, UpstreamTimeout)
    assert isinstance(caught.value, TimeoutError)
    assert caught.value.operation == "get_lifecycle"
    assert len(setup.sleeps) == 1


async def test_from_settings_uses_emulator_credentials(setup: Setup) -> None:
    settings = make_settings(
        cloudflare_api_base=f"{setup.url}/client/v4",
        cloudflare_delivery_base=setup.url,
    )
    stream_api = CloudflareStream.from_settings(setup.session, settings)

    live_input = await stream_api.create_live_input(meta={})

    assert live_input.uid in setup.state.inputs
    assert stream_api.playback_url(live_input.uid).startswith(setup.url)


async def test_shared_emulator_fixture(
    cloudflare_emulator: Any, settings: Settings
) -> None:
    async with aiohttp.ClientSession() as session:
        stream_api = CloudflareStream.from_settings(session, settings)
        live_input = await stream_api.create_live_input(meta={"name": "fixture"})

    assert live_input.uid in cloudflare_emulator.state.inputs
