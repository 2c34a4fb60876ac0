"""The transactional outbox that feeds the search index."""

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, String, Table, Text, func, text
from sqlalchemy.dialects.postgresql import UUID

from core.tables.base import metadata

#: Rows written in the same transaction as the change they describe; the
#: indexing worker drains them in id order and deletes what it has applied.
search_outbox = Table(
    "search_outbox",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("entity", String(16), nullable=False),  # stream, user, category
    Column("entity_id", UUID(as_uuid=True), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
Index("ix_search_outbox_entity", search_outbox.c.entity, search_outbox.c.entity_id)
