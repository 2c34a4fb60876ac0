"""Routes of the account's delivery host: viewer count, lifecycle and HLS manifest.

Cloudflare serves these from ``https://customer-<code>.cloudflarestream.com``
as bare JSON, without the API envelope. The emulator serves them at its root.
"""

from __future__ import annotations

from aiohttp import web

from ops.cloudflare_emulator.envelope import fault_response
from ops.cloudflare_emulator.inputs import EmulatedInput
from ops.cloudflare_emulator.keys import EMULATOR_STATE

HLS_CONTENT_TYPE = "application/vnd.apple.mpegurl"

routes = web.RouteTableDef()


def _find_input(request: web.Request) -> EmulatedInput:
    uid = request.match_info["uid"]
    live_input = request.app[EMULATOR_STATE].inputs.get(uid)
    if live_input is None:
        raise web.HTTPNotFound(
            text=f'{{"error": "live input {uid} not found"}}',
            content_type="application/json",
        )
    return live_input


@routes.get("/{uid}/views")
async def views(request: web.Request) -> web.Response:
    """Return ``{"liveViewers": n}`` with the count set through the control API."""
    state = request.app[EMULATOR_STATE]
    if (response := await fault_response(state.take_fault("views"))) is not None:
        return response
    live_input = _find_input(request)
    return web.json_response({"liveViewers": live_input.viewers})


@routes.get("/{uid}/lifecycle")
async def lifecycle(request: web.Request) -> web.Response:
    """Return ``isInput``, ``videoUID`` and ``live``, true while connected."""
    state = request.app[EMULATOR_STATE]
    if (response := await fault_response(state.take_fault("lifecycle"))) is not None:
        return response
    live_input = _find_input(request)
    return web.json_response(
        {
            "isInput": True,
            "videoUID": live_input.video_uid if live_input.connected else None,
            "live": live_input.connected,
        }
    )


@routes.get("/{uid}/manifest/video.m3u8")
async def manifest(request: web.Request) -> web.Response:
    """Return a one-variant HLS playlist while live, or 204 when idle."""
    live_input = _find_input(request)
    if not live_input.connected:
        return web.Response(status=204)
    playlist = "\n".join(
        [
            "#EXTM3U",
            "#EXT-X-VERSION:6",
            "#EXT-X-INDEPENDENT-SEGMENTS",
            "#EXT-X-STREAM-INF:BANDWIDTH=2500000,RESOLUTION=1280x720,"
            'CODECS="avc1.64001f,mp4a.40.2"',
            f"stream_{live_input.video_uid}.m3u8",
            "",
        ]
    )
    return web.Response(text=playlist, content_type=HLS_CONTENT_TYPE)
