"""Streams: creation, queries, owner actions and the live lifecycle.

The API, the webhook receiver and the workers all change streams through the
functions exported here, so each domain rule lives in one place.
"""

from core.streams.creation import NewStream, create_stream
from core.streams.deletions import DeletionRun, process_pending_deletions
from core.streams.lifecycle import (
    EndReason,
    Source,
    Transition,
    end_stream,
    go_live,
    mark_disconnected,
    record_signal,
)
from core.streams.management import (
    IngestCredentials,
    delete_stream,
    end_stream_by_owner,
    get_owned_stream,
    regenerate_stream_key,
    start_stream,
    update_stream,
)
from core.streams.queries import (
    StatusFilter,
    StreamFilters,
    StreamPage,
    get_live_stream_of_user,
    get_stream,
    list_public_streams,
    list_user_streams,
    lock_stream_by_live_input,
)
from core.streams.reconnect import (
    ReconnectCheck,
    ReconnectOutcome,
    confirm_ended_after_reconnect_window,
)

__all__ = [
    "DeletionRun",
    "EndReason",
    "IngestCredentials",
    "NewStream",
    "ReconnectCheck",
    "ReconnectOutcome",
    "Source",
    "StatusFilter",
    "StreamFilters",
    "StreamPage",
    "Transition",
    "confirm_ended_after_reconnect_window",
    "create_stream",
    "delete_stream",
    "end_stream",
    "end_stream_by_owner",
    "get_live_stream_of_user",
    "get_owned_stream",
    "get_stream",
    "go_live",
    "list_public_streams",
    "list_user_streams",
    "lock_stream_by_live_input",
    "mark_disconnected",
    "process_pending_deletions",
    "record_signal",
    "regenerate_stream_key",
    "start_stream",
    "update_stream",
]
