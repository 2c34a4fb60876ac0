"""Record changes that the search index must pick up, inside the writer's transaction."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from core.db import Connection
from core.tables import search_outbox

SearchEntity = Literal["stream", "user", "category"]


async def record_search_change(
    conn: Connection, entity: SearchEntity, entity_id: UUID
) -> None:
    """Queue ``entity_id`` for re-indexing; commits or rolls back with the caller's change.

    The indexer reads the current row when it drains the outbox, so one row
    per change is enough whatever the change was, deletions included.
    """
    await conn.execute(
        search_outbox.insert().values(entity=entity, entity_id=entity_id)
    )
