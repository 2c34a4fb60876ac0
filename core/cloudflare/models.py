"""Typed views of the Cloudflare Stream objects the backend reads.

The parsers raise ``ValueError`` naming the field that is missing or has the
wrong type. The client turns that into a ``CloudflareError`` for the operation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class LiveInput:
    """A Cloudflare live input with its RTMPS ingest credentials.

    ``stream_key`` is a secret, so it is left out of ``repr``. ``status`` is the
    connection state, for example ``connected``, or None on a fresh input.
    """

    uid: str
    rtmps_url: str
    stream_key: str = field(repr=False)
    enabled: bool
    meta: dict[str, Any]
    status: str | None
    created: datetime | None
    modified: datetime | None
    keys_rotated_at: datetime | None = None
    delete_recording_after_days: int | None = None


@dataclass(frozen=True)
class Lifecycle:
    """The delivery endpoint's view of an input: whether it plays right now."""

    is_input: bool
    video_uid: str | None
    live: bool


def parse_live_input(result: Any) -> LiveInput:
    """Build a LiveInput from the ``result`` of a live-input response."""
    if not isinstance(result, Mapping):
        raise ValueError(f"result is {type(result).__name__}, expected an object")
    rtmps = result.get("rtmps")
    if not isinstance(rtmps, Mapping):
        raise ValueError("rtmps is missing or not an object")
    meta = result.get("meta")
    if meta is None:
        meta = {}
    if not isinstance(meta, Mapping):
        raise ValueError("meta is not an object")
    enabled = result.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ValueError("enabled is not a boolean")
    delete_after = result.get("deleteRecordingAfterDays")
    if delete_after is not None and not _is_number(delete_after):
        raise ValueError("deleteRecordingAfterDays is not a number")
    return LiveInput(
        uid=_required_str(result, "uid"),
        rtmps_url=_required_str(rtmps, "url", prefix="rtmps."),
        stream_key=_required_str(rtmps, "streamKey", prefix="rtmps."),
        enabled=enabled,
        meta=dict(meta),
        status=normalise_status(result.get("status")),
        created=_optional_timestamp(result, "created"),
        modified=_optional_timestamp(result, "modified"),
        keys_rotated_at=_optional_timestamp(result, "keysRotatedAt"),
        delete_recording_after_days=None if delete_after is None else int(delete_after),
    )


def normalise_status(status: Any) -> str | None:
    """Return the state from a string ``status`` or ``{"current": {"state": ...}}``.

    Cloudflare's schema types ``status`` as a string enum, while integrations in
    the wild read ``status.current.state``, so both shapes are accepted.
    """
    if status is None or isinstance(status, str):
        return status
    if isinstance(status, Mapping):
        current = status.get("current")
        if current is None:
            return None
        if isinstance(current, Mapping):
            state = current.get("state")
            if state is None or isinstance(state, str):
                return state
    raise ValueError(f"status has an unknown shape: {type(status).__name__}")


def parse_lifecycle(body: Any) -> Lifecycle:
    """Build a Lifecycle from the JSON of ``GET <delivery>/<uid>/lifecycle``."""
    if not isinstance(body, Mapping):
        raise ValueError(f"body is {type(body).__name__}, expected an object")
    is_input = body.get("isInput")
    live = body.get("live")
    video_uid = body.get("videoUID")
    if not isinstance(is_input, bool):
        raise ValueError("isInput is missing or not a boolean")
    if not isinstance(live, bool):
        raise ValueError("live is missing or not a boolean")
    if video_uid is not None and not isinstance(video_uid, str):
        raise ValueError("videoUID is not a string")
    return Lifecycle(is_input=is_input, video_uid=video_uid or None, live=live)


def parse_viewer_count(body: Any) -> int:
    """Return ``liveViewers`` from the JSON of ``GET <delivery>/<uid>/views``."""
    if not isinstance(body, Mapping):
        raise ValueError(f"body is {type(body).__name__}, expected an object")
    viewers = body.get("liveViewers")
    # bool is an int subclass, but true/false is no viewer count.
    if isinstance(viewers, bool) or not isinstance(viewers, int):
        raise ValueError("liveViewers is missing or not an integer")
    if viewers < 0:
        raise ValueError(f"liveViewers is negative: {viewers}")
    return viewers


def _required_str(data: Mapping[str, Any], key: str, *, prefix: str = "") -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{prefix}{key} is missing or not a non-empty string")
    return value


def _optional_timestamp(data: Mapping[str, Any], key: str) -> datetime | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key} is not a timestamp string")
    try:
        # Python 3.11 accepts the trailing Z and truncates digits past microseconds.
        return datetime.fromisoformat(value)
    except ValueError as error:
        raise ValueError(f"{key} is not an RFC 3339 timestamp: {value!r}") from error


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
