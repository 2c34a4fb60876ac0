"""Cloudflare's live-input notification body, parsed with pydantic.

A notification looks like::

    {"name": "<policy name>", "text": "<summary>", "ts": 1700000000,
     "data": {"notification_name": "Stream Live Input", "input_id": "<uid>",
              "event_type": "live_input.connected",
              "updated_at": "2022-01-13T11:43:41.855717910Z"}}

``live_input.errored`` adds ``data.live_input_errored.error.code``. When a
destination is saved Cloudflare sends a test body with only ``text``.
``updated_at`` carries nanoseconds, which are truncated to microseconds.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

CONNECTED = "live_input.connected"
DISCONNECTED = "live_input.disconnected"
ERRORED = "live_input.errored"

_FRACTION = re.compile(r"\.(\d+)")


def parse_timestamp(value: Any) -> datetime:
    """Parse an RFC 3339 time with up to nine fractional digits into a UTC datetime."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        # fromisoformat accepts at most six fractional digits before Python 3.12.
        text = _FRACTION.sub(
            lambda match: "." + match.group(1)[:6], value.strip(), count=1
        )
        parsed = datetime.fromisoformat(
            text.replace("Z", "+00:00").replace("z", "+00:00")
        )
    else:
        raise ValueError("must be an RFC 3339 timestamp string")
    if parsed.tzinfo is None:
        raise ValueError("must carry a time zone, e.g. a trailing Z")
    try:
        return parsed.astimezone(UTC)
    except OverflowError as error:
        # An offset can push a time at either end of year 1..9999 out of range.
        raise ValueError(
            "is outside the years 1 to 9999 once converted to UTC"
        ) from error


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="ignore")

    code: str | None = None
    message: str | None = None


class LiveInputErrored(BaseModel):
    model_config = ConfigDict(extra="ignore")

    error: ErrorDetail = Field(default_factory=ErrorDetail)
    video_codec: str | None = None
    audio_codec: str | None = None


class NotificationData(BaseModel):
    model_config = ConfigDict(extra="ignore")

    notification_name: str | None = None
    input_id: str = Field(min_length=1, max_length=64)
    event_type: str = Field(min_length=1, max_length=64)
    updated_at: datetime
    live_input_errored: LiveInputErrored | None = None

    @field_validator("updated_at", mode="before")
    @classmethod
    def _parse_updated_at(cls, value: Any) -> datetime:
        return parse_timestamp(value)

    @property
    def error_code(self) -> str | None:
        if self.live_input_errored is None:
            return None
        return self.live_input_errored.error.code


class Notification(BaseModel):
    """Notification body. ``data`` is None in Cloudflare's destination test message."""

    model_config = ConfigDict(extra="ignore")

    name: str | None = None
    text: str | None = None
    ts: int | None = None
    data: NotificationData | None = None

    @property
    def is_test_message(self) -> bool:
        return self.data is None
