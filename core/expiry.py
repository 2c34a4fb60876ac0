"""Deletion of rows whose retention has passed, in short batches."""

from __future__ import annotations

from datetime import datetime


from core.db import Database, delete_in_batches
from core.tables import idempotency_keys


async def delete_expired_idempotency_keys(
    db: Database, *, created_before: datetime, batch_size: int = 10_000
) -> int:
    """Delete idempotency keys created before ``created_before``; returns the count.

    A key is only replayed within its retention, so a deleted key changes no
    response: ``core.idempotency.claim`` already ignores expired ones.
    """
    return await delete_in_batches(
        db,
        idempotency_keys,
        key_columns=[idempotency_keys.c.user_id, idempotency_keys.c.key],
        condition=idempotency_keys.c.created_at < created_before,
        batch_size=batch_size,
    )
