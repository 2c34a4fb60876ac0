"""Cloudflare Stream client for the live inputs behind our streams.

Account API calls go to ``<api_base>/accounts/<account_id>/stream/live_inputs``
with a Bearer token and return Cloudflare's envelope
``{success, errors, messages, result}``. Viewer counts and lifecycle come from
the account's delivery host (``https://customer-<code>.cloudflarestream.com``),
which returns bare JSON and does not count against the API rate limit.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar

import aiohttp

from core.cloudflare.errors import CloudflareError, LiveInputNotFound
from core.cloudflare.models import (
    Lifecycle,
    LiveInput,
    parse_lifecycle,
    parse_live_input,
    parse_viewer_count,
)
from core.cloudflare.transport import (
    RawResponse,
    RetryPolicy,
    Sleep,
    Transport,
    error_from_response,
    first_envelope_error,
)
from core.settings import Settings

logger = logging.getLogger(__name__)

#: Cloudflare's error code for a path it has no route for. A 404 with this code
#: means a wrong URL (or an account without the endpoint), not a missing input.
NO_ROUTE_CODE = 7003

#: Cloudflare rejects ``deleteRecordingAfterDays`` below this value.
MIN_DELETE_RECORDING_AFTER_DAYS = 30

ParsedT = TypeVar("ParsedT")

_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")


class CloudflareStream:
    """Client for Cloudflare Stream live inputs, viewer counts and lifecycle.

    Every call has a per-attempt timeout and retries as described in
    ``core.cloudflare.transport``. Failures raise CloudflareError or one of its
    subclasses.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        api_base: str,
        account_id: str,
        api_token: str,
        delivery_base: str,
        timeout_seconds: float = 10.0,
        max_retries: int = 3,
        backoff_base_seconds: float = 0.5,
        backoff_max_seconds: float = 8.0,
        max_retry_after_seconds: float = 30.0,
        sleep: Sleep | None = None,
    ) -> None:
        if not account_id:
            raise ValueError("account_id is empty: set CLOUDFLARE_ACCOUNT_ID")
        if not api_token:
            raise ValueError("api_token is empty: set CLOUDFLARE_API_TOKEN")
        self._api_base = api_base.rstrip("/")
        self._account_id = account_id
        self._delivery_base = delivery_base.rstrip("/")
        self._api_headers = {
            "Authorization": f"Bearer {api_token}",
            "Accept": "application/json",
        }
        policy = RetryPolicy(
            max_retries=max_retries,
            backoff_base_seconds=backoff_base_seconds,
            backoff_max_seconds=backoff_max_seconds,
            max_retry_after_seconds=max_retry_after_seconds,
        )
        transport_options: dict[str, Any] = {}
        if sleep is not None:
            transport_options["sleep"] = sleep
        self._transport = Transport(
            session,
            timeout_seconds=timeout_seconds,
            policy=policy,
            **transport_options,
        )

    @classmethod
    def from_settings(
        cls, session: aiohttp.ClientSession, settings: Settings, **options: Any
    ) -> CloudflareStream:
        """Build a client from the settings; ``options`` override any argument."""
        arguments: dict[str, Any] = {
            "api_base": settings.effective_cloudflare_api_base,
            "account_id": settings.effective_cloudflare_account_id,
            "api_token": settings.effective_cloudflare_api_token,
            "delivery_base": settings.effective_cloudflare_delivery_base,
            "timeout_seconds": settings.cloudflare_timeout_seconds,
            "max_retries": settings.cloudflare_max_retries,
        }
        arguments.update(options)
        return cls(session, **arguments)

    def playback_url(self, uid: str) -> str:
        """Return the HLS manifest URL of the input's current broadcast."""
        return f"{self._delivery_base}/{_path_segment(uid)}/manifest/video.m3u8"

    async def create_live_input(
        self,
        *,
        meta: dict[str, str],
        recording_timeout_seconds: int = 0,
        delete_recording_after_days: int | None = None,
    ) -> LiveInput:
        """Create a live input that records automatically, so HLS playback works.

        The whole ``recording`` object is sent, because with Cloudflare's
        default mode ``off`` an input has no HLS or DASH playback at all.

        NOTE: a retried create (after a timeout or 5xx) can leave an extra
        input behind if the first attempt reached Cloudflare. ``meta`` is the
        way to find such inputs.
        """
        if recording_timeout_seconds < 0:
            raise ValueError(
                "recording_timeout_seconds must be 0 or more, "
                f"got {recording_timeout_seconds}"
            )
        body: dict[str, Any] = {
            "meta": meta,
            "recording": {
                "mode": "automatic",
                "timeoutSeconds": recording_timeout_seconds,
                "requireSignedURLs": False,
                "allowedOrigins": None,
                "hideLiveViewerCount": False,
            },
        }
        if delete_recording_after_days is not None:
            if delete_recording_after_days < MIN_DELETE_RECORDING_AFTER_DAYS:
                raise ValueError(
                    "delete_recording_after_days must be at least "
                    f"{MIN_DELETE_RECORDING_AFTER_DAYS}, "
                    f"got {delete_recording_after_days}"
                )
            body["deleteRecordingAfterDays"] = delete_recording_after_days
        result = await self._api_call(
            "create_live_input", "POST", "/stream/live_inputs", json_body=body
        )
        live_input = self._parse("create_live_input", parse_live_input, result)
        logger.info("Created Cloudflare live input live_input_uid=%s", live_input.uid)
        return live_input

    async def get_live_input(self, uid: str) -> LiveInput:
        """Fetch a live input with its credentials; LiveInputNotFound if it is gone."""
        result = await self._api_call(
            "get_live_input", "GET", _input_path(uid), uid=uid
        )
        return self._parse("get_live_input", parse_live_input, result)

    async def update_live_input(
        self,
        uid: str,
        *,
        enabled: bool | None = None,
        meta: dict[str, Any] | None = None,
    ) -> LiveInput:
        """Change ``enabled`` and/or ``meta``; fields left as None stay unchanged.

        Cloudflare's PUT merges top-level fields, and ``enabled=False`` makes
        the input reject encoders and ends a running broadcast.
        """
        body: dict[str, Any] = {}
        if enabled is not None:
            body["enabled"] = enabled
        if meta is not None:
            body["meta"] = meta
        if not body:
            raise ValueError("update_live_input needs enabled or meta")
        result = await self._api_call(
            "update_live_input", "PUT", _input_path(uid), json_body=body, uid=uid
        )
        live_input = self._parse("update_live_input", parse_live_input, result)
        logger.info(
            "Updated Cloudflare live input live_input_uid=%s enabled=%s",
            uid,
            live_input.enabled,
        )
        return live_input

    async def delete_live_input(self, uid: str) -> None:
        """Delete a live input; LiveInputNotFound if it is already gone.

        A retried delete whose first attempt succeeded also ends in
        LiveInputNotFound, so callers treat that error as success.
        """
        await self._api_call("delete_live_input", "DELETE", _input_path(uid), uid=uid)
        logger.info("Deleted Cloudflare live input live_input_uid=%s", uid)

    async def rotate_live_input_keys(self, uid: str) -> LiveInput:
        """Replace the input's broadcast credentials and return the new ones.

        Cloudflare disconnects encoders that use the old key shortly after.
        """
        result = await self._api_call(
            "rotate_live_input_keys",
            "POST",
            f"{_input_path(uid)}/rotate_keys",
            uid=uid,
        )
        live_input = self._parse("rotate_live_input_keys", parse_live_input, result)
        logger.info("Rotated Cloudflare live input keys live_input_uid=%s", uid)
        return live_input

    async def get_viewer_count(self, uid: str) -> int:
        """Return the input's current ``liveViewers`` from the delivery host."""
        body = await self._delivery_call(
            "get_viewer_count", f"/{_path_segment(uid)}/views", uid
        )
        return self._parse("get_viewer_count", parse_viewer_count, body)

    async def get_lifecycle(self, uid: str) -> Lifecycle:
        """Return whether the input is live and which video it is broadcasting."""
        body = await self._delivery_call(
            "get_lifecycle", f"/{_path_segment(uid)}/lifecycle", uid, authenticated=True
        )
        return self._parse("get_lifecycle", parse_lifecycle, body)

    async def _api_call(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        uid: str | None = None,
    ) -> Any:
        """Send an account API request and return the envelope's ``result``."""
        url = f"{self._api_base}/accounts/{_path_segment(self._account_id)}{path}"
        raw = await self._transport.request(
            operation,
            method,
            url,
            headers=self._api_headers,
            json_body=json_body,
            uid=uid,
        )
        if raw.status >= 400:
            raise _error_for_status(operation, raw, uid)
        document = _decode_json(operation, raw)
        if not isinstance(document, dict) or not isinstance(
            document.get("success"), bool
        ):
            raise CloudflareError(
                operation,
                "response is not a Cloudflare envelope",
                http_status=raw.status,
            )
        if not document["success"]:
            # Cloudflare can report a failure with HTTP 200.
            code, message = first_envelope_error(raw.body)
            raise CloudflareError(
                operation,
                "success is false",
                http_status=raw.status,
                code=code,
                cf_message=message,
            )
        return document.get("result")

    async def _delivery_call(
        self, operation: str, path: str, uid: str, *, authenticated: bool = False
    ) -> Any:
        """Send a GET to the delivery host and return its JSON body."""
        headers = self._api_headers if authenticated else {"Accept": "application/json"}
        raw = await self._transport.request(
            operation,
            "GET",
            f"{self._delivery_base}{path}",
            headers=headers,
            uid=uid,
        )
        if raw.status == 404:
            raise LiveInputNotFound(
                operation, f"live input {uid} not found", http_status=raw.status
            )
        if raw.status >= 400:
            raise error_from_response(operation, raw, "request rejected")
        return _decode_json(operation, raw)

    @staticmethod
    def _parse(
        operation: str, parser: Callable[[Any], ParsedT], payload: Any
    ) -> ParsedT:
        try:
            return parser(payload)
        except ValueError as error:
            raise CloudflareError(operation, f"unexpected response: {error}") from error


def _error_for_status(
    operation: str, raw: RawResponse, uid: str | None
) -> CloudflareError:
    """Map a 4xx response to an error; a 404 on an input path means the input is gone.

    The exception is code 7003 (no route), which means a wrong URL.
    """
    code, message = first_envelope_error(raw.body)
    if raw.status == 404 and uid is not None and code != NO_ROUTE_CODE:
        return LiveInputNotFound(
            operation,
            f"live input {uid} not found",
            http_status=raw.status,
            code=code,
            cf_message=message,
        )
    return CloudflareError(
        operation,
        "request rejected",
        http_status=raw.status,
        code=code,
        cf_message=message,
    )


def _decode_json(operation: str, raw: RawResponse) -> Any:
    try:
        return json.loads(raw.body)
    except ValueError as error:
        raise CloudflareError(
            operation, "response is not valid JSON", http_status=raw.status
        ) from error


def _input_path(uid: str) -> str:
    return f"/stream/live_inputs/{_path_segment(uid)}"


def _path_segment(value: str) -> str:
    """Return ``value`` after checking that it is safe as one URL path segment.

    Cloudflare uids and account ids are hex strings. Anything with ``/``, ``.``
    or other punctuation could change the route, so it is rejected.
    """
    if not _ID_PATTERN.fullmatch(value):
        raise ValueError(
            f"invalid Cloudflare id {value!r}: "
            "expected 1-64 letters, digits, '-' or '_'"
        )
    return value
