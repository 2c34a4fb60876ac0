"""Parsing of live inputs, lifecycle and viewer counts, and the error messages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from core.cloudflare import (
    CloudflareError,
    CloudflareRateLimited,
    CloudflareTimeout,
    LiveInputNotFound,
)
from core.cloudflare.models import (
    normalise_status,
    parse_lifecycle,
    parse_live_input,
    parse_viewer_count,
)
from core.errors import NotFound, UpstreamError, UpstreamTimeout


def result(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "uid": "a" * 32,
        "created": "2022-01-13T11:43:41.855717910Z",
        "modified": "2022-01-13T11:43:42.000001Z",
        "meta": {"name": "x"},
        "enabled": False,
        "status": None,
        "keysRotatedAt": "2022-01-14T00:00:00Z",
        "deleteRecordingAfterDays": 45,
        "rtmps": {
            "url": "rtmps://live.cloudflare.com:443/live/",
            "streamKey": "secret-key",
        },
    }
    base.update(changes)
    return base


def test_parse_live_input_fields() -> None:
    live_input = parse_live_input(result())

    assert live_input.uid == "a" * 32
    assert live_input.enabled is False
    assert live_input.meta == {"name": "x"}
    assert live_input.created == datetime(2022, 1, 13, 11, 43, 41, 855717, tzinfo=UTC)
    assert live_input.keys_rotated_at == datetime(2022, 1, 14, tzinfo=UTC)
    assert live_input.delete_recording_after_days == 45


def test_live_input_repr_hides_stream_key() -> None:
    live_input = parse_live_input(result())

    assert "secret-key" not in repr(live_input)
    assert live_input.stream_key == "secret-key"


def test_parse_live_input_null_meta_is_empty() -> None:
    assert parse_live_input(result(meta=None)).meta == {}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"uid": ""}, "uid"),
        ({"rtmps": {"url": "rtmps://x"}}, "rtmps.streamKey"),
        ({"rtmps": None}, "rtmps is missing"),
        ({"enabled": "true"}, "enabled"),
        ({"meta": []}, "meta"),
        ({"modified": 5}, "modified"),
        ({"deleteRecordingAfterDays": "30"}, "deleteRecordingAfterDays"),
    ],
)
def test_parse_live_input_rejects(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_live_input(result(**changes))


def test_parse_live_input_rejects_non_object() -> None:
    with pytest.raises(ValueError, match="expected an object"):
        parse_live_input(None)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (None, None),
        ("reconnecting", "reconnecting"),
        ({"current": {"state": "connected"}}, "connected"),
        ({"current": {}}, None),
        ({}, None),
    ],
)
def test_normalise_status(status: Any, expected: str | None) -> None:
    assert normalise_status(status) == expected


@pytest.mark.parametrize(
    "status", [1, ["connected"], {"current": "connected"}, {"current": {"state": 3}}]
)
def test_normalise_status_rejects(status: Any) -> None:
    with pytest.raises(ValueError):
        normalise_status(status)


def test_parse_lifecycle_empty_video_is_none() -> None:
    lifecycle = parse_lifecycle({"isInput": True, "videoUID": "", "live": False})

    assert lifecycle.video_uid is None


@pytest.mark.parametrize(
    "body",
    [
        {"isInput": "yes", "live": False},
        {"isInput": True, "live": 1},
        {"isInput": True, "live": True, "videoUID": 5},
    ],
)
def test_parse_lifecycle_rejects(body: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        parse_lifecycle(body)


def test_parse_viewer_count_zero() -> None:
    assert parse_viewer_count({"liveViewers": 0}) == 0


def test_error_message_names_call_and_code() -> None:
    error = CloudflareError(
        "create_live_input",
        "request rejected",
        http_status=403,
        code=10000,
        cf_message="Authentication error",
    )

    assert str(error) == (
        "Cloudflare create_live_input failed: request rejected, HTTP 403, code 10000, "
        "message 'Authentication error'"
    )
    assert error.detail == str(error)
    assert error.status == 502


def test_error_hierarchy() -> None:
    not_found = LiveInputNotFound("get_live_input", "gone", http_status=404)
    limited = CloudflareRateLimited("get_live_input", "rate limited", retry_after=4.0)
    timeout = CloudflareTimeout("get_lifecycle", "no response")

    assert isinstance(not_found, UpstreamError)
    assert isinstance(not_found, LookupError)
    assert not isinstance(not_found, NotFound)
    assert limited.http_status == 429
    assert limited.retry_after == 4.0
    assert isinstance(timeout, UpstreamTimeout)
    assert isinstance(timeout, TimeoutError)
    assert timeout.operation == "get_lifecycle"
