"""The event sink that turns domain events into Dramatiq messages.

- StreamWentLive: ``notify_followers_of_live`` at once;
- StreamDisconnected: ``check_stream_end`` once the reconnect window has passed;
- StreamEnded: ``stream_ended`` at once;
- LiveInputDeletionQueued: ``retry_live_input_deletions`` after the first
  retry delay of ``core.streams.deletions``;
- UserFollowed: ``notify_new_follower`` at once.

Other events need no background work here and are ignored.
"""

from __future__ import annotations

import logging

import dramatiq

from core.events import (
    Event,
    LiveInputDeletionQueued,
    StreamDisconnected,
    StreamEnded,
    StreamWentLive,
    UserFollowed,
)
from core.settings import Settings
from core.streams.deletions import FIRST_RETRY_DELAY
from workers.broker import declare_actors, setup_broker
from workers.maintenance import (
    check_stream_end,
    retry_live_input_deletions,
    stream_ended,
)
from workers.notifications import notify_followers_of_live, notify_new_follower
from workers.sending import enqueue

logger = logging.getLogger(__name__)

#: Added to a delay so the message runs after the window or retry time has passed.
END_CHECK_MARGIN_MS = 1_000


class DramatiqEventSink:
    """Publishes events as Dramatiq messages on ``broker``.

    ``publish`` catches every exception and logs it with the event, because
    the caller has already committed the change the event describes.
    """

    def __init__(self, broker: dramatiq.Broker, settings: Settings) -> None:
        self.broker = broker
        self.settings = settings

    def message_for(self, event: Event) -> tuple[dramatiq.Message, int | None] | None:
        """Return the message for ``event`` and its delay in ms, or None to ignore it."""
        match event:
            case StreamWentLive(stream_id=stream_id):
                return notify_followers_of_live.message(str(stream_id)), None
            case StreamDisconnected(stream_id=stream_id):
                window_ms = int(self.settings.stream_reconnect_window_seconds * 1000)
                message = check_stream_end.message(str(stream_id))
                return message, window_ms + END_CHECK_MARGIN_MS
            case StreamEnded(stream_id=stream_id):
                return stream_ended.message(str(stream_id)), None
            case LiveInputDeletionQueued():
                first_retry_ms = int(FIRST_RETRY_DELAY.total_seconds() * 1000)
                message = retry_live_input_deletions.message()
                return message, first_retry_ms + END_CHECK_MARGIN_MS
            case UserFollowed(follower_id=follower_id, followed_id=followed_id, at=at):
                message = notify_new_follower.message(
                    str(follower_id), str(followed_id), at.isoformat()
                )
                return message, None
        return None

    async def publish(self, event: Event) -> None:
        try:
            routed = self.message_for(event)
            if routed is None:
                return
            message, delay_ms = routed
            await enqueue(self.broker, [message], delay_ms=delay_ms)
        except Exception:
            logger.exception(
                "event not enqueued; its background work will not run event=%r", event
            )

    async def close(self) -> None:
        self.broker.close()


def build_event_sink(settings: Settings) -> DramatiqEventSink:
    """Build a sink on a sending-only broker of ``settings`` (no metrics, no workers)."""
    broker = setup_broker(settings, metrics=False)
    declare_actors(broker)
    return DramatiqEventSink(broker, settings)
