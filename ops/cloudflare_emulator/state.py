"""In-memory emulator state: live inputs, simulated encoders, faults, notifications.

Nothing is persisted, so a restart loses every input.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from core.clock import utc_now
from ops.cloudflare_emulator.envelope import not_found
from ops.cloudflare_emulator.faults import Fault, FaultBody, FaultBook
from ops.cloudflare_emulator.inputs import (
    EmulatedInput,
    StatusFormat,
    new_uid,
    validate_live_input_body,
)
from ops.cloudflare_emulator.notifications import (
    CONNECTED,
    DISCONNECTED,
    ERRORED,
    Delivery,
    NotificationSender,
    WebhookTarget,
)
from ops.cloudflare_emulator.rate_limit import TokenRateLimiter

logger = logging.getLogger(__name__)


class EncoderRejected(Exception):
    """A simulated encoder was rejected: input disabled or busy, or a wrong key."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class EmulatorState:
    """Everything the emulator stores, shared by its routes and reachable from tests."""

    def __init__(
        self,
        *,
        api_token: str,
        account_id: str,
        webhook_url: str,
        webhook_secret: str | None,
        rate_limiter: TokenRateLimiter,
        status_format: StatusFormat = "string",
    ) -> None:
        self.api_token = api_token
        self.account_id = account_id
        self.rate_limiter = rate_limiter
        self.status_format: StatusFormat = status_format
        #: When False, rotate_keys responds with 404 with code 7003, as on accounts
        #: where the endpoint is not available.
        self.rotate_keys_available = True
        self.inputs: dict[str, EmulatedInput] = {}
        self.faults = FaultBook()
        self.notifier = NotificationSender(
            WebhookTarget(url=webhook_url, secret=webhook_secret)
        )

    @property
    def webhook_url(self) -> str:
        return self.notifier.target.url

    @webhook_url.setter
    def webhook_url(self, url: str) -> None:
        self.notifier.target.url = url

    @property
    def deliveries(self) -> list[Delivery]:
        return self.notifier.deliveries

    async def wait_for_deliveries(self) -> None:
        """Wait for background notifications (sent after disable, rotate or delete)."""
        await self.notifier.drain()

    # Live inputs, as the Cloudflare API changes them.

    def create_input(self, body: Any) -> EmulatedInput:
        changes = validate_live_input_body(body)
        now = utc_now()
        live_input = EmulatedInput(uid=new_uid(), created=now, modified=now)
        live_input.apply(changes)
        live_input.modified = live_input.created
        self.inputs[live_input.uid] = live_input
        logger.info("Created live input live_input_uid=%s", live_input.uid)
        return live_input

    def get_input(self, uid: str) -> EmulatedInput:
        live_input = self.inputs.get(uid)
        if live_input is None:
            raise not_found(uid)
        return live_input

    def update_input(self, uid: str, body: Any) -> EmulatedInput:
        """Merge a PUT body; disabling a connected input ends its broadcast."""
        live_input = self.get_input(uid)
        changes = validate_live_input_body(body)
        live_input.apply(changes)
        if not live_input.enabled and live_input.connected:
            self._end_broadcast(live_input, reason="disabled")
        return live_input

    def set_enabled(self, uid: str, enabled: bool) -> EmulatedInput:
        return self.update_input(uid, {"enabled": enabled})

    def rotate_keys(self, uid: str) -> EmulatedInput:
        """Issue new broadcast credentials and disconnect an encoder on the old key."""
        live_input = self.get_input(uid)
        live_input.rotate_keys()
        if live_input.connected:
            self._end_broadcast(live_input, reason="keys rotated")
        logger.info("Rotated keys live_input_uid=%s", uid)
        return live_input

    def delete_input(self, uid: str) -> None:
        live_input = self.get_input(uid)
        if live_input.connected:
            self._end_broadcast(live_input, reason="deleted")
        del self.inputs[uid]
        logger.info("Deleted live input live_input_uid=%s", uid)

    # Simulated encoder, driven by the control routes.

    async def connect(self, uid: str, *, stream_key: str | None = None) -> Delivery:
        """Connect an encoder and post ``live_input.connected``.

        Raises EncoderRejected when the input is disabled, already has an
        encoder, or ``stream_key`` is given and is not the current key.
        """
        live_input = self.get_input(uid)
        if not live_input.enabled:
            raise EncoderRejected(
                409, f"live input {uid} is disabled and rejects connections"
            )
        if live_input.connected:
            raise EncoderRejected(
                409, f"live input {uid} already has a connected encoder"
            )
        if stream_key is not None and stream_key != live_input.stream_key:
            raise EncoderRejected(
                403, f"stream key for live input {uid} is not the current key"
            )
        now = utc_now()
        if not self._continues_video(live_input, now):
            live_input.video_uid = new_uid()
        live_input.connected = True
        live_input.status = "connected"
        live_input.disconnected_at = None
        logger.info(
            "Encoder connected live_input_uid=%s video_uid=%s",
            uid,
            live_input.video_uid,
        )
        return await self.notifier.send(CONNECTED, uid)

    async def disconnect(self, uid: str) -> Delivery:
        """Disconnect the encoder and post ``live_input.disconnected``."""
        live_input = self.get_input(uid)
        if not live_input.connected:
            raise EncoderRejected(409, f"live input {uid} has no connected encoder")
        self._mark_disconnected(live_input)
        logger.info("Encoder disconnected live_input_uid=%s", uid)
        return await self.notifier.send(DISCONNECTED, uid)

    async def report_error(self, uid: str, code: str | None = None) -> Delivery:
        """Post ``live_input.errored``; the connection state stays as it is."""
        self.get_input(uid)
        return await self.notifier.send(ERRORED, uid, error_code=code)

    def set_viewers(self, uid: str, count: int) -> EmulatedInput:
        if count < 0:
            raise ValueError(f"viewer count must be 0 or more, got {count}")
        live_input = self.get_input(uid)
        live_input.viewers = count
        return live_input

    # Fault injection.

    def inject_fault(
        self,
        operation: str,
        status: int = 500,
        times: int = 1,
        *,
        delay_seconds: float = 0.0,
        body: FaultBody = "error",
        retry_after: int | None = None,
        code: int | None = None,
        message: str | None = None,
    ) -> Fault:
        """Make the next ``times`` requests of ``operation`` fail (see faults.Fault)."""
        fault = Fault(
            operation=operation,
            status=status,
            times=times,
            delay_seconds=delay_seconds,
            body=body,
            retry_after=retry_after,
        )
        if code is not None:
            fault.code = code
        if message is not None:
            fault.message = message
        self.faults.add(fault)
        return fault

    def take_fault(self, operation: str) -> Fault | None:
        return self.faults.take(operation)

    def clear_faults(self) -> None:
        self.faults.clear()

    # Internals.

    def _end_broadcast(self, live_input: EmulatedInput, *, reason: str) -> None:
        self._mark_disconnected(live_input)
        logger.info(
            "Encoder disconnected by the API live_input_uid=%s reason=%s",
            live_input.uid,
            reason,
        )
        self.notifier.send_in_background(DISCONNECTED, live_input.uid)

    @staticmethod
    def _mark_disconnected(live_input: EmulatedInput) -> None:
        live_input.connected = False
        live_input.status = "client_disconnect"
        live_input.disconnected_at = utc_now()
        live_input.viewers = 0

    @staticmethod
    def _continues_video(live_input: EmulatedInput, now: datetime) -> bool:
        """Return whether a connect continues the current video.

        It does when it comes within ``recording.timeoutSeconds`` of the last
        disconnect.

        NOTE: Cloudflare treats 0 as an undocumented platform default; the
        emulator treats it as "every connect starts a new video".
        """
        if live_input.video_uid is None or live_input.disconnected_at is None:
            return False
        window = timedelta(seconds=live_input.recording.get("timeoutSeconds", 0))
        return now - live_input.disconnected_at <= window and window > timedelta(0)
