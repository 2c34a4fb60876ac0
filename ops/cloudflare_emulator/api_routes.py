"""The Cloudflare v4 live-input API subset, with authentication and rate limiting.

Every response under ``/client/v4/`` is an envelope. The middleware responds to
unknown routes with 404 and code 7003, a wrong token or account with 403 and
code 10000, and an exhausted budget with 429, code 971 and ``retry-after``.
"""

from __future__ import annotations

import hmac
import json
import math
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ops.cloudflare_emulator.envelope import (
    AUTHENTICATION_ERROR,
    NO_ROUTE,
    RATE_LIMITED,
    EnvelopeError,
    failure_response,
    fault_response,
    invalid,
    success_response,
)
from ops.cloudflare_emulator.keys import EMULATOR_STATE
from ops.cloudflare_emulator.rate_limit import RateDecision
from ops.cloudflare_emulator.state import EmulatorState

API_PREFIX = "/client/v4/"
LIVE_INPUTS = "/client/v4/accounts/{account_id}/stream/live_inputs"

routes = web.RouteTableDef()

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def cloudflare_api_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Apply Cloudflare's routing, auth, rate limit and envelope to API paths."""
    if not request.path.startswith(API_PREFIX):
        return await handler(request)
    if isinstance(
        request.match_info.http_exception, web.HTTPNotFound | web.HTTPMethodNotAllowed
    ):
        return failure_response(404, NO_ROUTE, "No route for the URI")

    state = request.app[EMULATOR_STATE]
    if not _authenticated(request, state):
        return failure_response(403, AUTHENTICATION_ERROR, "Authentication error")

    decision = state.rate_limiter.check(state.api_token)
    headers = _rate_limit_headers(decision, state.rate_limiter.window_seconds)
    if not decision.allowed:
        headers["retry-after"] = str(decision.retry_after)
        return failure_response(
            429,
            RATE_LIMITED,
            "Please wait and consider throttling your request speed",
            headers=headers,
        )

    try:
        response = await handler(request)
    except EnvelopeError as error:
        response = failure_response(
            error.status, error.code, error.message, headers=error.headers
        )
    response.headers.update(headers)
    return response


def _authenticated(request: web.Request, state: EmulatorState) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token_matches = scheme.lower() == "bearer" and hmac.compare_digest(
        token.strip().encode(), state.api_token.encode()
    )
    return token_matches and request.match_info.get("account_id") == state.account_id


def _rate_limit_headers(
    decision: RateDecision, window_seconds: float
) -> dict[str, str]:
    """Build both header families Cloudflare has documented for its rate limit."""
    window = math.ceil(window_seconds)
    return {
        "Ratelimit": f'"default";r={decision.remaining};t={decision.reset_seconds}',
        "Ratelimit-Policy": f'"default";q={decision.limit};w={window}',
        "x-ratelimit-limit": str(decision.limit),
        "x-ratelimit-remaining": str(decision.remaining),
    }


async def _read_json(request: web.Request, *, required: bool) -> Any:
    raw = await request.read()
    if not raw:
        if required:
            raise invalid("Request body must be a JSON object")
        return {}
    try:
        return json.loads(raw)
    except ValueError as error:
        raise invalid(f"Request body is not valid JSON: {error}") from error


def _delivery_origin(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def _render(request: web.Request, uid: str) -> dict[str, Any]:
    state = request.app[EMULATOR_STATE]
    return state.get_input(uid).to_api(
        delivery_base=_delivery_origin(request), status_format=state.status_format
    )


@routes.post(LIVE_INPUTS)
async def create_live_input(request: web.Request) -> web.Response:
    state = request.app[EMULATOR_STATE]
    if (
        response := await fault_response(state.take_fault("create_live_input"))
    ) is not None:
        return response
    live_input = state.create_input(await _read_json(request, required=True))
    return success_response(_render(request, live_input.uid))


@routes.get(LIVE_INPUTS)
async def list_live_inputs(request: web.Request) -> web.Response:
    state = request.app[EMULATOR_STATE]
    if (
        response := await fault_response(state.take_fault("list_live_inputs"))
    ) is not None:
        return response
    items = [live_input.to_list_item() for live_input in state.inputs.values()]
    return success_response(
        {"liveInputs": items, "range": len(items), "total": len(items)}
    )


@routes.get(LIVE_INPUTS + "/{uid}")
async def get_live_input(request: web.Request) -> web.Response:
    state = request.app[EMULATOR_STATE]
    if (
        response := await fault_response(state.take_fault("get_live_input"))
    ) is not None:
        return response
    return success_response(_render(request, request.match_info["uid"]))


@routes.put(LIVE_INPUTS + "/{uid}")
async def update_live_input(request: web.Request) -> web.Response:
    state = request.app[EMULATOR_STATE]
    if (
        response := await fault_response(state.take_fault("update_live_input"))
    ) is not None:
        return response
    uid = request.match_info["uid"]
    state.update_input(uid, await _read_json(request, required=True))
    return success_response(_render(request, uid))


@routes.post(LIVE_INPUTS + "/{uid}/enable")
async def enable_live_input(request: web.Request) -> web.Response:
    return await _set_enabled(request, enabled=True)


@routes.post(LIVE_INPUTS + "/{uid}/disable")
async def disable_live_input(request: web.Request) -> web.Response:
    return await _set_enabled(request, enabled=False)


async def _set_enabled(request: web.Request, *, enabled: bool) -> web.Response:
    state = request.app[EMULATOR_STATE]
    if (
        response := await fault_response(state.take_fault("update_live_input"))
    ) is not None:
        return response
    uid = request.match_info["uid"]
    state.set_enabled(uid, enabled)
    return success_response(_render(request, uid))


@routes.delete(LIVE_INPUTS + "/{uid}")
async def delete_live_input(request: web.Request) -> web.Response:
    state = request.app[EMULATOR_STATE]
    if (
        response := await fault_response(state.take_fault("delete_live_input"))
    ) is not None:
        return response
    state.delete_input(request.match_info["uid"])
    return success_response({})


@routes.post(LIVE_INPUTS + "/{uid}/rotate_keys")
async def rotate_keys(request: web.Request) -> web.Response:
    state = request.app[EMULATOR_STATE]
    if not state.rotate_keys_available:
        return failure_response(404, NO_ROUTE, "No route for the URI")
    if (response := await fault_response(state.take_fault("rotate_keys"))) is not None:
        return response
    uid = request.match_info["uid"]
    state.rotate_keys(uid)
    return success_response(_render(request, uid))
