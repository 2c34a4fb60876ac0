"""The emulated live input: stored fields, JSON renderings and request validation."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from core.clock import utc_now
from ops.cloudflare_emulator.envelope import invalid

#: Ingest URLs as every Cloudflare example shows them. Nothing connects to them.
RTMPS_URL = "rtmps://live.cloudflare.com:443/live/"
SRT_URL = "srt://live.cloudflare.com:778"

MIN_DELETE_RECORDING_AFTER_DAYS = 30
MAX_DELETE_RECORDING_AFTER_DAYS = 1096
RECORDING_MODES = ("off", "automatic")

#: ``string`` renders ``status`` as Cloudflare's schema types it; ``object``
#: renders ``{"current": {"state": ...}}`` as integrations in the wild read it.
StatusFormat = Literal["string", "object"]


def new_uid() -> str:
    """Return a 32-character hex id, the shape of Cloudflare's uids."""
    return secrets.token_hex(16)


def new_secret() -> str:
    return secrets.token_hex(32)


def format_timestamp(moment: datetime) -> str:
    """Format as RFC 3339 with microseconds and ``Z``, as Cloudflare does."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def default_recording() -> dict[str, Any]:
    return {
        "mode": "off",
        "timeoutSeconds": 0,
        "requireSignedURLs": False,
        "allowedOrigins": None,
        "hideLiveViewerCount": False,
    }


@dataclass
class EmulatedInput:
    """One live input and the state of the simulated encoder pushing to it."""

    uid: str
    created: datetime
    modified: datetime
    meta: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True
    default_creator: str | None = None
    delete_recording_after_days: int | None = None
    prefer_low_latency: bool = False
    recording: dict[str, Any] = field(default_factory=default_recording)
    stream_key: str = field(default_factory=new_secret, repr=False)
    playback_key: str = field(default_factory=new_secret, repr=False)
    srt_passphrase: str = field(default_factory=new_secret, repr=False)
    srt_playback_passphrase: str = field(default_factory=new_secret, repr=False)
    webrtc_secret: str = field(default_factory=new_secret, repr=False)
    keys_rotated_at: datetime | None = None
    status: str | None = None
    connected: bool = False
    video_uid: str | None = None
    disconnected_at: datetime | None = None
    viewers: int = 0

    def apply(self, changes: dict[str, Any]) -> None:
        """Merge changes from ``validate_live_input_body`` and bump ``modified``."""
        for name, value in changes.items():
            if name == "recording":
                self.recording = {**self.recording, **value}
            else:
                setattr(self, name, value)
        self.modified = utc_now()

    def rotate_keys(self) -> None:
        """Replace the broadcast credentials; playback keys stay as they are."""
        self.stream_key = new_secret()
        self.srt_passphrase = new_secret()
        self.webrtc_secret = new_secret()
        self.keys_rotated_at = utc_now()
        self.modified = self.keys_rotated_at

    def render_status(self, status_format: StatusFormat) -> Any:
        if self.status is None or status_format == "string":
            return self.status
        return {"current": {"state": self.status}}

    def to_api(
        self, *, delivery_base: str, status_format: StatusFormat
    ) -> dict[str, Any]:
        """Render the full live input, credentials included, as GET returns it."""
        rendered: dict[str, Any] = {
            "uid": self.uid,
            "created": format_timestamp(self.created),
            "modified": format_timestamp(self.modified),
            "meta": self.meta,
            "enabled": self.enabled,
            "deleteRecordingAfterDays": self.delete_recording_after_days,
            "preferLowLatency": self.prefer_low_latency,
            "recording": dict(self.recording),
            "rtmps": {"url": RTMPS_URL, "streamKey": self.stream_key},
            "rtmpsPlayback": {"url": RTMPS_URL, "streamKey": self.playback_key},
            "srt": {
                "url": SRT_URL,
                "streamId": self.uid,
                "passphrase": self.srt_passphrase,
            },
            "srtPlayback": {
                "url": SRT_URL,
                "streamId": f"play{self.uid}",
                "passphrase": self.srt_playback_passphrase,
            },
            "webRTC": {"url": f"{delivery_base}/{self.webrtc_secret}/webRTC/publish"},
            "webRTCPlayback": {"url": f"{delivery_base}/{self.uid}/webRTC/play"},
            "status": self.render_status(status_format),
        }
        if self.default_creator is not None:
            rendered["defaultCreator"] = self.default_creator
        # Cloudflare omits keysRotatedAt until the first rotation.
        if self.keys_rotated_at is not None:
            rendered["keysRotatedAt"] = format_timestamp(self.keys_rotated_at)
        return rendered

    def to_list_item(self) -> dict[str, Any]:
        """Render the list form, which carries no credentials."""
        return {
            "uid": self.uid,
            "created": format_timestamp(self.created),
            "modified": format_timestamp(self.modified),
            "meta": self.meta,
            "deleteRecordingAfterDays": self.delete_recording_after_days,
            "enabled": self.enabled,
        }


def validate_live_input_body(body: Any) -> dict[str, Any]:
    """Return the attribute changes a create or update body requests.

    Raises the invalid-request EnvelopeError (HTTP 400) naming the first bad
    field. Unknown fields are ignored.
    """
    if not isinstance(body, dict):
        raise invalid("Request body must be a JSON object")
    changes: dict[str, Any] = {}
    if "meta" in body:
        if not isinstance(body["meta"], dict):
            raise invalid("meta must be an object")
        changes["meta"] = body["meta"]
    if "defaultCreator" in body:
        if body["defaultCreator"] is not None and not isinstance(
            body["defaultCreator"], str
        ):
            raise invalid("defaultCreator must be a string")
        changes["default_creator"] = body["defaultCreator"]
    if "deleteRecordingAfterDays" in body:
        changes["delete_recording_after_days"] = _validate_retention(
            body["deleteRecordingAfterDays"]
        )
    for key, attribute in (
        ("enabled", "enabled"),
        ("preferLowLatency", "prefer_low_latency"),
    ):
        if key in body:
            if not isinstance(body[key], bool):
                raise invalid(f"{key} must be a boolean")
            changes[attribute] = body[key]
    if "recording" in body:
        changes["recording"] = _validate_recording(body["recording"])
    return changes


def _validate_retention(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid("deleteRecordingAfterDays must be a number")
    if not MIN_DELETE_RECORDING_AFTER_DAYS <= value <= MAX_DELETE_RECORDING_AFTER_DAYS:
        raise invalid(
            "deleteRecordingAfterDays must be between "
            f"{MIN_DELETE_RECORDING_AFTER_DAYS} and {MAX_DELETE_RECORDING_AFTER_DAYS}, "
            f"got {value}"
        )
    return int(value)


def _validate_recording(recording: Any) -> dict[str, Any]:
    if not isinstance(recording, dict):
        raise invalid("recording must be an object")
    checked: dict[str, Any] = {}
    if "mode" in recording:
        if recording["mode"] not in RECORDING_MODES:
            raise invalid(f"recording.mode must be one of {', '.join(RECORDING_MODES)}")
        checked["mode"] = recording["mode"]
    if "timeoutSeconds" in recording:
        timeout = recording["timeoutSeconds"]
        if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 0:
            raise invalid("recording.timeoutSeconds must be an integer of 0 or more")
        checked["timeoutSeconds"] = timeout
    for key in ("requireSignedURLs", "hideLiveViewerCount"):
        if key in recording:
            if not isinstance(recording[key], bool):
                raise invalid(f"recording.{key} must be a boolean")
            checked[key] = recording[key]
    if "allowedOrigins" in recording:
        origins = recording["allowedOrigins"]
        if origins is not None and (
            not isinstance(origins, list)
            or not all(isinstance(o, str) for o in origins)
        ):
            raise invalid("recording.allowedOrigins must be a list of strings or null")
        checked["allowedOrigins"] = origins
    return checked
