"""Creating a stream: provision a Cloudflare live input, then insert the row.

Cloudflare is called first, outside any transaction, so a slow API never keeps
a database connection busy. If Cloudflare fails, nothing is written. If the
insert fails, the live input is deleted again, or queued for deletion when
Cloudflare fails a second time.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from uuid import UUID


from core.cloudflare import CloudflareStream
from core.db import Database, Row
from core.identity import check_category_exists
from core.errors import DomainRuleViolation
from core.events import EventSink, StreamChanged
from core.search_outbox import record_search_change
from core.streams.deletions import delete_or_queue_live_input
from core.streams.queries import get_live_stream_of_user, get_stream
from core.tables import streams

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NewStream:
    title: str
    description: str = ""
    category_id: UUID | None = None
    thumbnail_url: str | None = None


async def create_stream(
    db: Database,
    cloudflare: CloudflareStream,
    events: EventSink,
    *,
    user_id: UUID,
    tenant_id: UUID | None,
    new_stream: NewStream,
) -> Row:
    """Provision a live input, insert an offline stream and return it with its streamer.

    Raises DomainRuleViolation while the user has a live stream, InvalidInput
    for an unknown category and CloudflareError (502) when provisioning fails.
    """
    if await get_live_stream_of_user(db, user_id) is not None:
        raise DomainRuleViolation(
            "this user already has a live stream: end it before creating another"
        )
    await check_category_exists(db, new_stream.category_id)

    stream_id = uuid.uuid4()
    # Recording must be automatic, or Cloudflare serves no HLS for the input.
    live_input = await cloudflare.create_live_input(meta={"stream_id": str(stream_id)})
    logger.info(
        "live input created stream_id=%s live_input_uid=%s", stream_id, live_input.uid
    )

    try:
        async with db.transaction() as conn:
            await conn.execute(
                streams.insert().values(
                    id=stream_id,
                    user_id=user_id,
                    tenant_id=tenant_id,
                    category_id=new_stream.category_id,
                    title=new_stream.title,
                    description=new_stream.description,
                    thumbnail_url=new_stream.thumbnail_url,
                    status="offline",
                    live_input_uid=live_input.uid,
                    rtmps_url=live_input.rtmps_url,
                    stream_key=live_input.stream_key,
                    playback_url=cloudflare.playback_url(live_input.uid),
                )
            )
            await record_search_change(conn, "stream", stream_id)
    except BaseException:
        logger.exception(
            "stream insert failed, deleting its live input "
            "stream_id=%s live_input_uid=%s",
            stream_id,
            live_input.uid,
        )
        await delete_or_queue_live_input(db, cloudflare, events, live_input.uid)
        raise

    await events.publish(StreamChanged(stream_id=stream_id))
    row = await get_stream(db, stream_id)
    assert row is not None, "a stream inserted in a committed transaction must exist"
    return row
