"""Cloudflare webhook receiver: authenticity, parsing, duplicates, ordering and the reconnect window."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from core.events import StreamDisconnected, StreamEnded, StreamWentLive
from core.tables import streams, webhook_events
from tests.api.streams_support import create_stream, live_input_uid, wait_until
from tests.conftest import bearer

WEBHOOK = "/webhooks/cloudflare"
SECRET = "test-webhook-secret"


def notification(input_id: str, event_type: str, updated_at: datetime, **data) -> dict:
    stamp = updated_at.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"
    return {
        "name": "Live notifications",
        "text": f"{input_id} {event_type}",
        "data": {
            "notification_name": "Stream Live Input",
            "input_id": input_id,
            "event_type": f"live_input.{event_type}",
            "updated_at": stamp,
            **data,
        },
        "ts": int(updated_at.timestamp()),
    }


async def post(client, body, secret: str | None = SECRET):
    headers = {} if secret is None else {"cf-webhook-auth": secret}
    return await client.post(WEBHOOK, json=body, headers=headers)


async def stream_row(db, stream_id: str) -> dict:
    return await db.fetch_one(sa.select(streams).where(streams.c.id == stream_id))


async def outcomes(db) -> list[str]:
    rows = await db.fetch_all(
        sa.select(webhook_events.c.outcome).order_by(webhook_events.c.id)
    )
    return [row["outcome"] for row in rows]


async def new_stream(client, make_user, db) -> tuple[dict, str, str]:
    _, key = await make_user()
    stream = await create_stream(client, key)
    return stream, key, await live_input_uid(db, stream["id"])


async def test_bad_secret_is_401(client, db, caplog):
    caplog.set_level(logging.DEBUG)
    body = notification("abc", "connected", datetime.now(UTC))

    missing = await post(client, body, secret=None)
    wrong = await post(client, body, secret="guess-the-secret")

    assert missing.status == 401
    assert wrong.status == 401
    assert await outcomes(db) == []
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "guess-the-secret" not in logged
    assert SECRET not in logged
    assert "webhook rejected" in logged


async def test_chunked_notification_is_read_whole(client, make_user, db):
    stream, _, uid = await new_stream(client, make_user, db)
    raw = json.dumps(notification(uid, "connected", datetime.now(UTC))).encode()

    async def chunks():
        for start in range(0, len(raw), 16):
            yield raw[start : start + 16]

    response = await client.post(
        WEBHOOK, data=chunks(), headers={"cf-webhook-auth": SECRET}
    )

    assert response.status == 200
    assert (await stream_row(db, stream["id"]))["status"] == "live"


async def test_test_message_is_acknowledged(client, db):
    response = await post(client, {"text": "Hello World! This is a test message."})

    assert response.status == 200
    assert await outcomes(db) == ["ignored"]


async def test_malformed_bodies_are_422_or_413(client):
    not_json = await client.post(
        WEBHOOK,
        data=b"{nope",
        headers={"cf-webhook-auth": SECRET, "Content-Type": "application/json"},
    )
    bad_time = await post(
        client,
        {
            "data": {
                "input_id": "x",
                "event_type": "live_input.connected",
                "updated_at": "yesterday",
            }
        },
    )
    too_large = await client.post(
        WEBHOOK,
        data=b"{" + b" " * (70 * 1024) + b"}",
        headers={"cf-webhook-auth": SECRET},
    )

    async def chunks():
        for _ in range(70):
            yield b" " * 1024

    chunked_too_large = await client.post(
        WEBHOOK, data=chunks(), headers={"cf-webhook-auth": SECRET}
    )

    assert not_json.status == 422
    assert chunked_too_large.status == 413
    assert bad_time.status == 422
    assert too_large.status == 413


@pytest.mark.parametrize(
    "body",
    [
        {"text": "a\x00b"},
        {
            "data": {
                "input_id": "a\x00b",
                "event_type": "live_input.connected",
                "updated_at": "2024-01-01T00:00:00Z",
            }
        },
        {
            "data": {
                "input_id": "abc",
                "event_type": "live_input.errored",
                "updated_at": "2024-01-01T00:00:00Z",
                "live_input_errored": {"error": {"code": "\x00"}},
            }
        },
    ],
)
async def test_nul_character_is_422(client, db, body):
    response = await post(client, body)

    assert response.status == 422, await response.text()
    assert (await response.json())["errors"][0]["location"] == "body"
    assert await outcomes(db) == []


@pytest.mark.parametrize(
    "updated_at", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"]
)
async def test_time_outside_datetime_range_is_422(client, make_user, db, updated_at):
    stream, _, input_id = await new_stream(client, make_user, db)
    body = {
        "data": {
            "input_id": input_id,
            "event_type": "live_input.connected",
            "updated_at": updated_at,
        }
    }

    response = await post(client, body)

    assert response.status == 422, await response.text()
    assert (await response.json())["errors"][0]["field"] == "data.updated_at"
    assert (await stream_row(db, stream["id"]))["status"] == "offline"


async def test_unknown_input_is_acknowledged(client, db, caplog):
    caplog.set_level(logging.INFO)

    response = await post(
        client, notification("f" * 32, "connected", datetime.now(UTC))
    )

    assert response.status == 200
    assert (await response.json())["outcome"] == "unknown_input"
    assert await outcomes(db) == ["unknown_input"]
    assert "unknown live input" in caplog.text


async def test_emulator_connect_makes_stream_live(
    client, make_user, db, cloudflare_emulator, events
):
    stream, _, uid = await new_stream(client, make_user, db)

    delivery = await cloudflare_emulator.state.connect(uid)

    assert delivery.status == 200
    row = await stream_row(db, stream["id"])
    assert row["status"] == "live"
    assert row["started_at"] is not None
    live = await (
        await client.get(f"/api/v1/streams/users/{stream['streamer']['username']}/live")
    ).json()
    assert live["is_live"] is True
    assert [event.stream_id for event in events.of_type(StreamWentLive)] == [
        uuid.UUID(stream["id"])
    ]
    stored = await db.fetch_one(sa.select(webhook_events))
    assert stored["outcome"] == "applied"
    assert stored["body"]["data"]["input_id"] == uid
    assert str(stored["stream_id"]) == stream["id"]


async def test_duplicate_notification_changes_nothing(client, make_user, db, events):
    stream, _, uid = await new_stream(client, make_user, db)
    body = notification(uid, "connected", datetime.now(UTC))

    first = await post(client, body)
    second = await post(client, body)

    assert first.status == 200
    assert second.status == 200
    assert (await second.json())["outcome"] == "duplicate"
    assert await outcomes(db) == ["applied", "duplicate"]
    assert len(events.of_type(StreamWentLive)) == 1


async def test_stale_notification_changes_nothing(client, make_user, db):
    stream, _, uid = await new_stream(client, make_user, db)
    now = datetime.now(UTC)

    await post(client, notification(uid, "connected", now))
    stale = await post(
        client, notification(uid, "disconnected", now - timedelta(seconds=5))
    )

    assert (await stale.json())["outcome"] == "stale"
    row = await stream_row(db, stream["id"])
    assert row["status"] == "live"
    assert row["disconnected_at"] is None


async def test_nanosecond_timestamps_are_ordered(client, make_user, db):
    stream, _, uid = await new_stream(client, make_user, db)
    body = notification(uid, "connected", datetime.now(UTC))
    body["data"]["updated_at"] = "2030-01-13T11:43:41.855717910Z"

    response = await post(client, body)

    assert response.status == 200
    row = await stream_row(db, stream["id"])
    assert row["last_event_at"] == datetime(2030, 1, 13, 11, 43, 41, 855717, tzinfo=UTC)


async def test_connect_after_end_keeps_stream_ended(client, make_user, db):
    stream, key, uid = await new_stream(client, make_user, db)
    await client.post(f"/api/v1/streams/{stream['id']}/end", headers=bearer(key))

    response = await post(
        client, notification(uid, "connected", datetime.now(UTC) + timedelta(seconds=1))
    )

    assert (await response.json())["outcome"] == "ignored"
    row = await stream_row(db, stream["id"])
    assert row["status"] == "ended"
    assert row["started_at"] is None


async def test_connect_while_another_stream_is_live_is_rejected(client, make_user, db):
    _, key = await make_user()
    first = await create_stream(client, key, title="first")
    second = await create_stream(client, key, title="second")
    await client.post(f"/api/v1/streams/id/{first['id']}/start", headers=bearer(key))
    uid = await live_input_uid(db, second["id"])

    response = await post(client, notification(uid, "connected", datetime.now(UTC)))

    assert response.status == 200
    assert (await response.json())["outcome"] == "rejected"
    assert (await stream_row(db, second["id"]))["status"] == "offline"
    assert await outcomes(db) == ["rejected"]


async def test_disconnect_ends_stream_after_reconnect_window(
    client, make_user, db, cloudflare_emulator, events
):
    stream, _, uid = await new_stream(client, make_user, db)
    await cloudflare_emulator.state.connect(uid)

    await cloudflare_emulator.state.disconnect(uid)

    row = await stream_row(db, stream["id"])
    assert row["status"] == "live"
    assert row["disconnected_at"] is not None
    assert [event.stream_id for event in events.of_type(StreamDisconnected)] == [
        uuid.UUID(stream["id"])
    ]

    async def ended() -> bool:
        return (await stream_row(db, stream["id"]))["status"] == "ended"

    disconnected_at = row["disconnected_at"]
    await wait_until(ended)
    row = await stream_row(db, stream["id"])
    assert row["end_reason"] == "disconnected"
    assert row["ended_at"] >= disconnected_at + timedelta(seconds=0.3)
    assert [event.stream_id for event in events.of_type(StreamEnded)] == [
        uuid.UUID(stream["id"])
    ]


async def test_reconnect_inside_window_keeps_stream_live(
    client, make_user, db, cloudflare_emulator, app
):
    from webhooks.timers import RECONNECT_TIMERS

    stream, _, uid = await new_stream(client, make_user, db)
    await cloudflare_emulator.state.connect(uid)

    await cloudflare_emulator.state.disconnect(uid)
    await cloudflare_emulator.state.connect(uid)

    row = await stream_row(db, stream["id"])
    assert row["status"] == "live"
    assert row["disconnected_at"] is None

    async def timers_done() -> bool:
        return len(app[RECONNECT_TIMERS]) == 0

    await wait_until(timers_done)
    assert (await stream_row(db, stream["id"]))["status"] == "live"


async def test_errored_is_recorded_and_fatal_codes_end(
    client, make_user, db, cloudflare_emulator, caplog
):
    caplog.set_level(logging.WARNING)
    stream, _, uid = await new_stream(client, make_user, db)
    await cloudflare_emulator.state.connect(uid)

    await cloudflare_emulator.state.report_error(uid, "ERR_GOP_OUT_OF_RANGE")
    after_gop = await stream_row(db, stream["id"])
    await cloudflare_emulator.state.report_error(uid, "ERR_STORAGE_QUOTA_EXHAUSTED")
    after_quota = await stream_row(db, stream["id"])

    assert after_gop["status"] == "live"
    assert "ERR_GOP_OUT_OF_RANGE" in caplog.text
    assert after_quota["status"] == "ended"
    assert after_quota["end_reason"] == "ERR_STORAGE_QUOTA_EXHAUSTED"
    assert await outcomes(db) == ["applied", "applied", "applied"]
