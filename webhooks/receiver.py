"""``POST /webhooks/cloudflare``: authenticate, parse, apply and acknowledge.

The ``cf-webhook-auth`` header must equal ``CLOUDFLARE_WEBHOOK_SECRET``
(compared in constant time). Every authenticated notification is stored with
its outcome and gets a 200 response. That includes Cloudflare's destination
test message and notifications for unknown inputs. The only errors are a
missing or wrong secret (401), a body that is not a notification (422) and an
oversized body (413). A body with a string containing U+0000 is also 422,
because ``jsonb`` cannot store that character.
"""

from __future__ import annotations

import hmac
import logging
from uuid import UUID

import orjson
from aiohttp import web
from pydantic import BaseModel

from api.http import json_response, reject_nul_characters, validate
from api.keys import CLOUDFLARE, DATABASE, EVENTS, SETTINGS
from api.openapi import ApiRoutes
from core.clock import utc_now
from core.errors import AuthenticationFailed, FieldError, InvalidInput, PayloadTooLarge
from core.streams import ReconnectOutcome, confirm_ended_after_reconnect_window
from webhooks.events import Notification
from webhooks.processing import process_notification
from webhooks.timers import RECONNECT_TIMERS

logger = logging.getLogger(__name__)

routes = ApiRoutes(tag="webhooks")

AUTH_HEADER = "cf-webhook-auth"
#: Largest accepted body. Cloudflare's documented notifications are under 1 KiB.
MAX_BODY_BYTES = 64 * 1024


class WebhookAck(BaseModel):
    outcome: str


async def _read_body(request: web.Request) -> bytes:
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"webhook body exceeds {MAX_BODY_BYTES} bytes")
    body = bytearray()
    # A chunked body has no Content-Length, so the limit is enforced while reading.
    while chunk := await request.content.read(MAX_BODY_BYTES + 1 - len(body)):
        body.extend(chunk)
        if len(body) > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"webhook body exceeds {MAX_BODY_BYTES} bytes")
    return bytes(body)


def _authenticate(request: web.Request) -> None:
    expected = request.app[SETTINGS].cloudflare_webhook_secret.get_secret_value()
    provided = request.headers.get(AUTH_HEADER)
    if provided is None or not hmac.compare_digest(
        provided.encode("utf-8", "surrogateescape"), expected.encode()
    ):
        reason = "missing" if provided is None else "invalid"
        logger.warning(
            "webhook rejected: %s %s header remote=%s",
            reason,
            AUTH_HEADER,
            request.remote,
        )
        raise AuthenticationFailed(
            f"{reason} {AUTH_HEADER} header: "
            "send the webhook secret configured for this API"
        )


def _schedule_end_check(app: web.Application, stream_id: UUID, delay: float) -> None:
    window = app[SETTINGS].stream_reconnect_window_seconds

    async def check() -> float | None:
        result = await confirm_ended_after_reconnect_window(
            app[DATABASE],
            app[CLOUDFLARE],
            stream_id,
            window_seconds=window,
            events=app[EVENTS],
        )
        if result.outcome is ReconnectOutcome.WINDOW_OPEN:
            return result.retry_after_seconds
        return None

    app[RECONNECT_TIMERS].schedule(stream_id, delay, check)


@routes.post(
    "/webhooks/cloudflare",
    summary="Receive Cloudflare Stream live-input notifications",
    response=WebhookAck,
    tag="webhooks",
    body=Notification,
    responses={401: "Missing or wrong cf-webhook-auth secret", 413: "Body too large"},
    json_body_checked=False,
)
async def receive(request: web.Request) -> web.Response:
    """Apply a live-input notification. Duplicates and stale ones change nothing."""
    _authenticate(request)
    raw = await _read_body(request)
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise InvalidInput(
            "webhook body is not valid JSON",
            [FieldError("body", "body", "not valid JSON")],
        ) from error
    reject_nul_characters(body, "body")
    notification = validate(Notification, body, "body")

    result = await process_notification(request.app[DATABASE], notification, body)

    events = request.app[EVENTS]
    for event in result.events:
        await events.publish(event)
    if result.disconnected_at is not None and result.stream_id is not None:
        window = request.app[SETTINGS].stream_reconnect_window_seconds
        elapsed = (utc_now() - result.disconnected_at).total_seconds()
        _schedule_end_check(request.app, result.stream_id, window - elapsed)

    return json_response(WebhookAck(outcome=result.outcome.value))
