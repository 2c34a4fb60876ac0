"""Deletion of rows whose retention has passed, in short batches."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from core.db import Database
from core.tables import idempotency_keys


async def delete_expired_idempotency_keys(
    db: Database, *, created_before: datetime, batch_size: int = 10_000
) -> int:
    """Delete idempotency keys created before ``created_before``; returns the count.

    A key is only replayed within its retention, so a deleted key changes no
    response: ``core.idempotency.claim`` already ignores expired ones.
    """
    deleted = 0
    while True:
        expired = (
            sa.select(idempotency_keys.c.user_id, idempotency_keys.c.key)
            .where(idempotency_keys.c.created_at < created_before)
            .limit(batch_size)
        )
        count = await db.execute(
            idempotency_keys.delete().where(
                sa.tuple_(idempotency_keys.c.user_id, idempotency_keys.c.key).in_(
                    expired
                )
            )
        )
        deleted += count
        if count < batch_size:
            return deleted
