"""Live-input notifications, posted the way Cloudflare Notifications posts them.

Body: ``name`` (the policy name), ``text`` (a readable summary), ``data`` with
``notification_name``, ``input_id``, ``event_type`` and ``updated_at`` (RFC 3339
with nine fractional digits and ``Z``), and ``ts`` (Unix seconds). Errored
events add ``data.live_input_errored``. The secret goes in the
``cf-webhook-auth`` header. Each delivery is attempted once, because
Cloudflare documents no retry policy, and every attempt is recorded.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp

logger = logging.getLogger(__name__)

CONNECTED = "live_input.connected"
DISCONNECTED = "live_input.disconnected"
ERRORED = "live_input.errored"
EVENT_TYPES = (CONNECTED, DISCONNECTED, ERRORED)

NOTIFICATION_NAME = "Stream Live Input"
DEFAULT_POLICY_NAME = "Live stream notifications"

#: Error codes Cloudflare documents for ``live_input.errored``, with a summary of each.
ERROR_MESSAGES = {
    "ERR_GOP_OUT_OF_RANGE": "Keyframe interval is outside the range of 2 to 10 seconds",
    "ERR_UNSUPPORTED_VIDEO_CODEC": "Video codec is not supported; use H.264",
    "ERR_UNSUPPORTED_AUDIO_CODEC": "Audio codec is not supported; use AAC",
    "ERR_STORAGE_QUOTA_EXHAUSTED": "Storage quota is exhausted",
    "ERR_MISSING_SUBSCRIPTION": "Account is not authorized to start a live stream",
}


@dataclass
class WebhookTarget:
    """Notification destination: URL, secret and policy name.

    It is mutable, so tests can point it at a server started later.
    """

    url: str
    secret: str | None
    policy_name: str = DEFAULT_POLICY_NAME


@dataclass
class Delivery:
    """One POST of a notification and its outcome (``status`` or ``error``)."""

    id: int
    event_type: str
    input_id: str
    url: str
    body: dict[str, Any]
    status: int | None = None
    error: str | None = None
    attempted_at: str = field(default="")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class NotificationSender:
    """Posts notifications to the target and keeps the list of deliveries.

    ``open`` must be called before sending (the emulator app does it on
    startup) and ``close`` afterwards.
    """

    def __init__(self, target: WebhookTarget, *, timeout_seconds: float = 10.0) -> None:
        self.target = target
        self.deliveries: list[Delivery] = []
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None
        self._ids = itertools.count(1)
        self._pending: set[asyncio.Task[Delivery]] = set()
        self._last_updated_ns = 0

    async def open(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)

    async def close(self) -> None:
        await self.drain()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(
        self,
        event_type: str,
        input_id: str,
        *,
        error_code: str | None = None,
    ) -> Delivery:
        """Post one notification now and return its recorded delivery."""
        if self._session is None:
            raise RuntimeError(
                "NotificationSender.open() must run before sending notifications"
            )
        body = build_notification(
            event_type,
            input_id,
            updated_at_ns=self._next_updated_ns(),
            policy_name=self.target.policy_name,
            error_code=error_code,
        )
        delivery = Delivery(
            id=next(self._ids),
            event_type=event_type,
            input_id=input_id,
            url=self.target.url,
            body=body,
            attempted_at=datetime.now(UTC).isoformat(),
        )
        self.deliveries.append(delivery)
        headers = {"Content-Type": "application/json"}
        if self.target.secret:
            headers["cf-webhook-auth"] = self.target.secret
        try:
            async with self._session.post(
                delivery.url, json=body, headers=headers
            ) as response:
                await response.read()
                delivery.status = response.status
        except (aiohttp.ClientError, TimeoutError) as error:
            delivery.error = f"{type(error).__name__}: {error}"
            logger.warning(
                "Notification delivery failed delivery_id=%s event_type=%s "
                "live_input_uid=%s url=%s error=%s",
                delivery.id,
                event_type,
                input_id,
                delivery.url,
                delivery.error,
            )
            return delivery
        logger.info(
            "Notification delivered delivery_id=%s event_type=%s live_input_uid=%s "
            "url=%s status=%s",
            delivery.id,
            event_type,
            input_id,
            delivery.url,
            delivery.status,
        )
        return delivery

    def send_in_background(self, event_type: str, input_id: str) -> None:
        """Send without blocking, as Cloudflare notifies after its API has responded."""
        if self._session is None:
            logger.warning(
                "Notification not sent because the sender is not open "
                "event_type=%s live_input_uid=%s",
                event_type,
                input_id,
            )
            return
        task = asyncio.get_running_loop().create_task(self.send(event_type, input_id))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def drain(self) -> None:
        """Wait until every background delivery has finished."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    def _next_updated_ns(self) -> int:
        # Strictly increasing, so receivers that order by updated_at see emulator order.
        now = time.time_ns()
        self._last_updated_ns = max(now, self._last_updated_ns + 1)
        return self._last_updated_ns


def build_notification(
    event_type: str,
    input_id: str,
    *,
    updated_at_ns: int,
    policy_name: str,
    error_code: str | None = None,
) -> dict[str, Any]:
    """Build the JSON body Cloudflare posts for a live-input event."""
    if event_type not in EVENT_TYPES:
        raise ValueError(
            f"unknown event type {event_type!r}; expected one of {EVENT_TYPES}"
        )
    updated_at = format_nanosecond_timestamp(updated_at_ns)
    data: dict[str, Any] = {
        "notification_name": NOTIFICATION_NAME,
        "input_id": input_id,
        "event_type": event_type,
        "updated_at": updated_at,
    }
    lines = [
        f"Notification type: {NOTIFICATION_NAME}",
        f"Input ID: {input_id}",
        f"Event type: {event_type}",
        f"Updated at: {updated_at}",
    ]
    if event_type == ERRORED:
        code = error_code or "ERR_GOP_OUT_OF_RANGE"
        message = ERROR_MESSAGES.get(code, "Live input error")
        data["live_input_errored"] = {
            "error": {"code": code, "message": message},
            "video_codec": "h264",
            "audio_codec": "aac",
        }
        lines.append(f"Error code: {code}")
        lines.append(f"Error message: {message}")
    return {
        "name": policy_name,
        "text": "\n".join(lines),
        "data": data,
        "ts": max(int(time.time()), updated_at_ns // 1_000_000_000),
    }


def format_nanosecond_timestamp(epoch_ns: int) -> str:
    """Format Unix nanoseconds as ``2022-01-13T11:43:41.855717910Z``."""
    seconds, nanoseconds = divmod(epoch_ns, 1_000_000_000)
    moment = datetime.fromtimestamp(seconds, UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{nanoseconds:09d}Z"
