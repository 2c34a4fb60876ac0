"""Replace and remove a user's avatar and banner.

Order of work, so that a failure at any step leaves the profile pointing at a
file that exists:

1. decode and resize the upload in an executor thread,
2. store the output under a name derived from its SHA-256,
3. point the user row at the new URL (and queue a search re-index),
4. after the commit, delete the file the row pointed at before.

A failure before step 3 leaves the row on the old file, which still exists.
A failed delete in step 4 only leaves an unreferenced file behind.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import re
from concurrent.futures import Executor
from uuid import UUID

import sqlalchemy as sa

from core.clock import utc_now
from core.db import Database
from core.errors import NotFound
from core.events import EventSink, UserChanged
from core.media.images import ImageSpec, process_image
from core.media.storage import MediaStorage, MediaStorageError
from core.search_outbox import record_search_change
from core.tables import users

logger = logging.getLogger(__name__)

_URL_COLUMNS = {"avatar": users.c.avatar_url, "banner": users.c.banner_url}


def media_name(kind: str, user_id: UUID, digest: str, extension: str) -> str:
    """Return the storage name of a processed image.

    The user id is part of the name so that two users who upload the same
    picture get separate files, and deleting one never removes the other's.
    """
    return f"{kind}-{user_id.hex}-{digest}.{extension}"


def stored_name(url: str | None, kind: str, user_id: UUID) -> str | None:
    """Return the storage name in ``url`` if this service wrote it for this user."""
    if not url:
        return None
    name = url.rstrip("/").rpartition("/")[2]
    pattern = rf"{re.escape(kind)}-{user_id.hex}-[0-9a-f]{{64}}\.(jpg|png)"
    return name if re.fullmatch(pattern, name) else None


async def replace_profile_image(
    db: Database,
    storage: MediaStorage,
    events: EventSink,
    *,
    user_id: UUID,
    spec: ImageSpec,
    data: bytes,
    max_pixels: int,
    executor: Executor | None = None,
) -> str:
    """Process ``data`` into the user's ``spec.kind`` image and return its URL.

    Raises ``UnsupportedMediaType`` or ``InvalidInput`` for unusable images,
    ``NotFound`` for an unknown user and ``MediaStorageError`` when the file
    cannot be stored. In each case the profile keeps its previous image.
    """
    loop = asyncio.get_running_loop()
    processed = await loop.run_in_executor(
        executor, functools.partial(process_image, data, spec, max_pixels=max_pixels)
    )
    digest = hashlib.sha256(processed.data).hexdigest()
    name = media_name(spec.kind, user_id, digest, processed.extension)

    await storage.put(name, processed.data, processed.content_type)
    url = storage.url(name)

    column = _URL_COLUMNS[spec.kind]
    try:
        async with db.transaction() as conn:
            previous_url = await conn.fetch_value(
                sa.select(column).where(users.c.id == user_id).with_for_update()
            )
            found = await conn.execute(
                users.update()
                .where(users.c.id == user_id)
                .values({column.name: url, "updated_at": utc_now()})
            )
            if not found:
                raise NotFound(f"user {user_id} not found")
            await record_search_change(conn, "user", user_id)
    except NotFound:
        # No other row can contain a name with this user's id, so the file is unused.
        await _delete_quietly(storage, name, user_id)
        raise

    logger.info(
        "Profile image replaced: user_id=%s kind=%s name=%s bytes=%s",
        user_id,
        spec.kind,
        name,
        len(processed.data),
    )
    await events.publish(UserChanged(user_id=user_id))

    previous_name = stored_name(previous_url, spec.kind, user_id)
    if previous_name is not None and previous_name != name:
        await _delete_quietly(storage, previous_name, user_id)
    return url


async def remove_profile_image(
    db: Database,
    storage: MediaStorage,
    events: EventSink,
    *,
    user_id: UUID,
    kind: str,
) -> None:
    """Clear the user's ``kind`` image URL, then delete its file.

    A user without that image is left unchanged, and no event is published.
    """
    column = _URL_COLUMNS[kind]
    async with db.transaction() as conn:
        row = await conn.fetch_one(
            sa.select(column).where(users.c.id == user_id).with_for_update()
        )
        if row is None:
            raise NotFound(f"user {user_id} not found")
        previous_url = row[column.name]
        if previous_url is not None:
            await conn.execute(
                users.update()
                .where(users.c.id == user_id)
                .values({column.name: None, "updated_at": utc_now()})
            )
            await record_search_change(conn, "user", user_id)

    if previous_url is None:
        return
    logger.info("Profile image removed: user_id=%s kind=%s", user_id, kind)
    await events.publish(UserChanged(user_id=user_id))

    previous_name = stored_name(previous_url, kind, user_id)
    if previous_name is not None:
        await _delete_quietly(storage, previous_name, user_id)


async def _delete_quietly(storage: MediaStorage, name: str, user_id: UUID) -> None:
    """Delete an unreferenced file, logging a failure instead of raising."""
    try:
        await storage.delete(name)
    except MediaStorageError as err:
        # NOTE: nothing retries this delete, so the file stays until removed by hand.
        logger.warning(
            "Deleting unreferenced media file failed: user_id=%s name=%s error=%s",
            user_id,
            name,
            err,
        )
