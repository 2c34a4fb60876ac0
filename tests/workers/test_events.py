"""The Dramatiq event sink: which event becomes which message, and failures."""

from __future__ import annotations

import uuid

import pytest

from core.clock import utc_now
from core.events import (
    LiveInputDeletionQueued,
    StreamChanged,
    StreamDisconnected,
    StreamEnded,
    StreamWentLive,
    UserFollowed,
)
from workers.broker import setup_broker
from workers.events import DramatiqEventSink


@pytest.fixture
def sink(base_settings):
    settings = base_settings.model_copy(update={"worker_metrics_enabled": False})
    return DramatiqEventSink(setup_broker(settings, stub=True), settings)


def routed(sink, event):
    result = sink.message_for(event)
    assert result is not None
    message, delay = result
    return message.actor_name, message.args, delay


def test_event_routes(sink):
    stream_id, user_id, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    at = utc_now()
    window_ms = int(sink.settings.stream_reconnect_window_seconds * 1000)

    assert routed(
        sink, StreamWentLive(stream_id=stream_id, user_id=user_id, at=at)
    ) == (
        "notify_followers_of_live",
        (str(stream_id),),
        None,
    )
    assert routed(sink, StreamDisconnected(stream_id=stream_id, at=at)) == (
        "check_stream_end",
        (str(stream_id),),
        window_ms + 1000,
    )
    assert routed(sink, StreamEnded(stream_id=stream_id, user_id=user_id, at=at)) == (
        "stream_ended",
        (str(stream_id),),
        None,
    )
    actor, args, delay = routed(sink, LiveInputDeletionQueued(live_input_uid="abc"))
    assert (actor, args) == ("retry_live_input_deletions", ())
    assert delay > 0
    assert routed(
        sink, UserFollowed(follower_id=other, followed_id=user_id, at=at)
    ) == (
        "notify_new_follower",
        (str(other), str(user_id), at.isoformat()),
        None,
    )
    assert sink.message_for(StreamChanged(stream_id=stream_id)) is None


async def test_publish_enqueues_on_broker(sink):
    stream_id = uuid.uuid4()

    await sink.publish(
        StreamWentLive(stream_id=stream_id, user_id=uuid.uuid4(), at=utc_now())
    )
    await sink.publish(StreamDisconnected(stream_id=stream_id, at=utc_now()))

    assert sink.broker.queues["notifications"].qsize() == 1
    assert sink.broker.queues["maintenance.DQ"].qsize() == 1


async def test_publish_failure_is_logged_not_raised(sink, caplog):
    del sink.broker.queues["notifications"]

    await sink.publish(
        StreamWentLive(stream_id=uuid.uuid4(), user_id=uuid.uuid4(), at=utc_now())
    )

    assert "event not enqueued" in caplog.text
