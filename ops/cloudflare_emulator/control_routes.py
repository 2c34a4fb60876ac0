"""Control routes under ``/__emulator`` that drive the emulator from tests and demos.

They stand in for an encoder (connect, disconnect, errors), set viewer counts,
inject faults and list webhook deliveries. Errors are ``{"error": message}``.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from ops.cloudflare_emulator.envelope import EnvelopeError
from ops.cloudflare_emulator.faults import Fault
from ops.cloudflare_emulator.inputs import EmulatedInput
from ops.cloudflare_emulator.keys import EMULATOR_STATE
from ops.cloudflare_emulator.notifications import Delivery
from ops.cloudflare_emulator.state import EncoderRejected

PREFIX = "/__emulator"
STATUS_FORMATS = ("string", "object")

routes = web.RouteTableDef()


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _read_optional_json(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as error:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": f"request body is not valid JSON: {error}"}),
            content_type="application/json",
        ) from error
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(
            text=json.dumps({"error": "request body must be a JSON object"}),
            content_type="application/json",
        )
    return body


def _encoder_view(live_input: EmulatedInput) -> dict[str, Any]:
    return {
        "uid": live_input.uid,
        "enabled": live_input.enabled,
        "connected": live_input.connected,
        "status": live_input.status,
        "video_uid": live_input.video_uid,
        "viewers": live_input.viewers,
    }


def _encoder_response(
    request: web.Request, uid: str, delivery: Delivery
) -> web.Response:
    live_input = request.app[EMULATOR_STATE].inputs[uid]
    return web.json_response(
        {"live_input": _encoder_view(live_input), "delivery": delivery.to_json()}
    )


@routes.post(PREFIX + "/live_inputs/{uid}/connect")
async def connect(request: web.Request) -> web.Response:
    """Connect a simulated encoder and post ``live_input.connected``.

    An optional body ``{"stream_key": ...}`` must carry the current key.
    """
    state = request.app[EMULATOR_STATE]
    uid = request.match_info["uid"]
    body = await _read_optional_json(request)
    stream_key = body.get("stream_key")
    if stream_key is not None and not isinstance(stream_key, str):
        return _error(400, "stream_key must be a string")
    try:
        delivery = await state.connect(uid, stream_key=stream_key)
    except EnvelopeError as error:
        return _error(error.status, error.message)
    except EncoderRejected as error:
        return _error(error.status, error.message)
    return _encoder_response(request, uid, delivery)


@routes.post(PREFIX + "/live_inputs/{uid}/disconnect")
async def disconnect(request: web.Request) -> web.Response:
    state = request.app[EMULATOR_STATE]
    uid = request.match_info["uid"]
    try:
        delivery = await state.disconnect(uid)
    except EnvelopeError as error:
        return _error(error.status, error.message)
    except EncoderRejected as error:
        return _error(error.status, error.message)
    return _encoder_response(request, uid, delivery)


@routes.post(PREFIX + "/live_inputs/{uid}/errored")
async def errored(request: web.Request) -> web.Response:
    """Post ``live_input.errored``; optional ``{"code": "ERR_..."}`` sets the code."""
    state = request.app[EMULATOR_STATE]
    uid = request.match_info["uid"]
    body = await _read_optional_json(request)
    code = body.get("code")
    if code is not None and not isinstance(code, str):
        return _error(400, "code must be a string such as ERR_GOP_OUT_OF_RANGE")
    try:
        delivery = await state.report_error(uid, code)
    except EnvelopeError as error:
        return _error(error.status, error.message)
    return _encoder_response(request, uid, delivery)


@routes.post(PREFIX + "/live_inputs/{uid}/viewers")
async def set_viewers(request: web.Request) -> web.Response:
    """Set the count that ``GET /{uid}/views`` returns, from ``{"count": N}``."""
    state = request.app[EMULATOR_STATE]
    uid = request.match_info["uid"]
    body = await _read_optional_json(request)
    count = body.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        return _error(400, 'body must be {"count": N} with N an integer of 0 or more')
    try:
        live_input = state.set_viewers(uid, count)
    except EnvelopeError as error:
        return _error(error.status, error.message)
    return web.json_response({"live_input": _encoder_view(live_input)})


@routes.post(PREFIX + "/faults")
async def add_fault(request: web.Request) -> web.Response:
    """Queue a fault from ``{"operation": ..., "status": 500, "times": 1, ...}``.

    The accepted fields are those of ``faults.Fault``.
    """
    body = await _read_optional_json(request)
    allowed = set(Fault.__dataclass_fields__)
    unknown = sorted(set(body) - allowed)
    if unknown:
        return _error(
            400, f"unknown fault fields {unknown}; allowed: {sorted(allowed)}"
        )
    if "operation" not in body:
        return _error(400, "operation is required")
    try:
        fault = Fault(**body)
    except (TypeError, ValueError) as error:
        return _error(400, str(error))
    request.app[EMULATOR_STATE].faults.add(fault)
    return web.json_response({"fault": fault.to_json()}, status=201)


@routes.get(PREFIX + "/faults")
async def list_faults(request: web.Request) -> web.Response:
    faults = request.app[EMULATOR_STATE].faults.pending()
    return web.json_response({"faults": [fault.to_json() for fault in faults]})


@routes.delete(PREFIX + "/faults")
async def clear_faults(request: web.Request) -> web.Response:
    request.app[EMULATOR_STATE].clear_faults()
    return web.Response(status=204)


@routes.get(PREFIX + "/deliveries")
async def list_deliveries(request: web.Request) -> web.Response:
    state = request.app[EMULATOR_STATE]
    return web.json_response({"deliveries": [d.to_json() for d in state.deliveries]})


@routes.get(PREFIX + "/config")
async def get_config(request: web.Request) -> web.Response:
    return web.json_response(_config_view(request))


@routes.patch(PREFIX + "/config")
async def update_config(request: web.Request) -> web.Response:
    """Change ``webhook_url``, ``status_format`` or ``rotate_keys_available``."""
    state = request.app[EMULATOR_STATE]
    body = await _read_optional_json(request)
    if "webhook_url" in body:
        if not isinstance(body["webhook_url"], str) or not body[
            "webhook_url"
        ].startswith(("http://", "https://")):
            return _error(400, "webhook_url must be an http or https URL")
    if "status_format" in body and body["status_format"] not in STATUS_FORMATS:
        return _error(400, f"status_format must be one of {', '.join(STATUS_FORMATS)}")
    if "rotate_keys_available" in body and not isinstance(
        body["rotate_keys_available"], bool
    ):
        return _error(400, "rotate_keys_available must be a boolean")
    if "webhook_url" in body:
        state.webhook_url = body["webhook_url"]
    if "status_format" in body:
        state.status_format = body["status_format"]
    if "rotate_keys_available" in body:
        state.rotate_keys_available = body["rotate_keys_available"]
    return web.json_response(_config_view(request))


def _config_view(request: web.Request) -> dict[str, Any]:
    state = request.app[EMULATOR_STATE]
    return {
        "webhook_url": state.webhook_url,
        "status_format": state.status_format,
        "rotate_keys_available": state.rotate_keys_available,
        "rate_limit_requests": state.rate_limiter.limit,
        "rate_limit_window_seconds": state.rate_limiter.window_seconds,
    }
