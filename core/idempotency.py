"""Idempotency keys: a retried request with the same key gets the first response.

A request claims ``(user_id, key)`` by inserting a row without a response.
Completing it stores the status and body; failing it deletes the row so the
client may retry. A second request with the same key then either replays the
stored response (same body), is rejected with 422 (different body), or with
409 while the first request is still running.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from core.clock import utc_now
from core.db import Database
from core.errors import Conflict, FieldError, InvalidInput
from core.tables import idempotency_keys

logger = logging.getLogger(__name__)

MAX_KEY_LENGTH = 255
#: Stored responses are replayed for this long. After that the key may be reused.
KEY_RETENTION = timedelta(hours=24)
#: A claim without a response older than this belongs to a request that died.
ABANDONED_CLAIM_AGE = timedelta(minutes=2)


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: Any


def request_fingerprint(method: str, path: str, body: Any) -> str:
    """Hash the method, path and JSON body. Key order in the body does not matter."""
    canonical = orjson.dumps(
        {"method": method, "path": path, "body": body}, option=orjson.OPT_SORT_KEYS
    )
    return hashlib.sha256(canonical).hexdigest()


def check_key(key: str) -> None:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput(
            "invalid Idempotency-Key header: "
            f"use 1 to {MAX_KEY_LENGTH} printable characters",
            [FieldError("header", "Idempotency-Key", "1 to 255 printable characters")],
        )


async def claim(
    db: Database, *, user_id: UUID, key: str, fingerprint: str
) -> StoredResponse | None:
    """Claim the key for this request, or return the stored response of a replay.

    Raises InvalidInput (422) when the key was used with a different request
    and Conflict (409) while the first request with the key is still running.
    """
    check_key(key)
    now = utc_now()
    expired_before = now - KEY_RETENTION
    abandoned_before = now - ABANDONED_CLAIM_AGE

    async with db.transaction() as conn:
        # Expired keys and claims of requests that died may be taken over.
        await conn.execute(
            idempotency_keys.delete().where(
                idempotency_keys.c.user_id == user_id,
                idempotency_keys.c.key == key,
                sa.or_(
                    idempotency_keys.c.created_at < expired_before,
                    sa.and_(
                        idempotency_keys.c.response_status.is_(None),
                        idempotency_keys.c.created_at < abandoned_before,
                    ),
                ),
            )
        )
        inserted = await conn.fetch_one(
            pg_insert(idempotency_keys)
            .values(
                user_id=user_id,
                key=key,
                request_fingerprint=fingerprint,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["user_id", "key"])
            .returning(idempotency_keys.c.key)
        )
        if inserted is not None:
            return None
        existing = await conn.fetch_one(
            sa.select(idempotency_keys).where(
                idempotency_keys.c.user_id == user_id, idempotency_keys.c.key == key
            )
        )

    if existing is None:
        # The other request failed and released the key between our two statements.
        raise Conflict(f"a request with Idempotency-Key {key!r} just failed: retry it")
    if existing["request_fingerprint"] != fingerprint:
        raise InvalidInput(
            f"Idempotency-Key {key!r} was already used with a different request: "
            "use a new key for a new request",
            [
                FieldError(
                    "header", "Idempotency-Key", "already used with a different body"
                )
            ],
        )
    if existing["response_status"] is None:
        raise Conflict(
            f"a request with Idempotency-Key {key!r} is still in progress: retry later"
        )
    logger.info("idempotent replay user_id=%s", user_id)
    return StoredResponse(
        status=existing["response_status"], body=existing["response_body"]
    )


async def complete(
    db: Database, *, user_id: UUID, key: str, status: int, body: Any
) -> None:
    """Store the response of the request that claimed the key."""
    await db.execute(
        idempotency_keys.update()
        .where(idempotency_keys.c.user_id == user_id, idempotency_keys.c.key == key)
        .values(response_status=status, response_body=body)
    )


async def release(db: Database, *, user_id: UUID, key: str) -> None:
    """Drop an unfinished claim after the request failed, so a retry runs again."""
    await db.execute(
        idempotency_keys.delete().where(
            idempotency_keys.c.user_id == user_id,
            idempotency_keys.c.key == key,
            idempotency_keys.c.response_status.is_(None),
        )
    )
