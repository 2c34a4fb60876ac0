"""Cloudflare's v4 response envelope and the error codes the emulator sends.

Cloudflare publishes no catalogue of error codes. 10000 (authentication),
7003 (no route) and 971 (rate limited) are the codes public reports show for
those cases. The not-found and invalid-request codes are the emulator's own
choice, because Cloudflare's codes for them are undocumented.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from ops.cloudflare_emulator.faults import Fault

AUTHENTICATION_ERROR = 10000
NO_ROUTE = 7003
RATE_LIMITED = 971
NOT_FOUND = 10003
INVALID_REQUEST = 10005
INJECTED_FAULT = 10001


class EnvelopeError(Exception):
    """A request the emulator rejects with a failure envelope."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def success_response(result: Any, *, status: int = 200) -> web.Response:
    """Return ``result`` wrapped in a success envelope."""
    body = {"success": True, "errors": [], "messages": [], "result": result}
    return web.json_response(body, status=status)


def failure_response(
    status: int,
    code: int,
    message: str,
    *,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """Return a failure envelope with one error.

    ``status`` may be 200, because Cloudflare sometimes reports failures that way.
    """
    body = {
        "success": False,
        "errors": [{"code": code, "message": message}],
        "messages": [],
        "result": None,
    }
    return web.json_response(body, status=status, headers=headers)


def not_found(uid: str) -> EnvelopeError:
    return EnvelopeError(404, NOT_FOUND, f"Live input not found: {uid}")


def invalid(message: str) -> EnvelopeError:
    return EnvelopeError(400, INVALID_REQUEST, message)


async def fault_response(fault: Fault | None) -> web.Response | None:
    """Return the response for an injected fault, or None to handle the request.

    The fault's delay is awaited first, which makes the emulator a slow server
    for timeout tests.
    """
    if fault is None:
        return None
    if fault.delay_seconds:
        await asyncio.sleep(fault.delay_seconds)
    if fault.body == "normal":
        return None
    headers = {}
    if fault.retry_after is not None:
        headers["retry-after"] = str(fault.retry_after)
    if fault.body == "malformed":
        return web.Response(
            status=fault.status,
            text="<html><body>upstream error</body></html>",
            content_type="text/html",
            headers=headers,
        )
    return failure_response(fault.status, fault.code, fault.message, headers=headers)
