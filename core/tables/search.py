"""The transactional outbox that feeds the search index."""

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

from core.tables.base import metadata
from core.tables.identity import categories, users
from core.tables.streams import streams

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
    Column(
        "created_at", DateTime(timezone=True), nullable=False, server_default=func.now()
    ),
)
Index("ix_search_outbox_entity", search_outbox.c.entity, search_outbox.c.entity_id)

# Search indexes on other areas' tables, created by migration 0004. They are
# declared here so that Alembic's autogenerate compares against the real schema.
Index("ix_streams_search_vector", streams.c.search_vector, postgresql_using="gin")
Index(
    "ix_streams_started_at",
    streams.c.started_at.desc(),
    postgresql_where=streams.c.status.in_(["live", "ended"]),
)
# Suggestions: trigram indexes serve 3 or more characters, left-anchored
# prefix indexes serve shorter input, which trigrams cannot.
Index(
    "ix_streams_live_title_trgm",
    streams.c.title,
    postgresql_using="gin",
    postgresql_ops={"title": "gin_trgm_ops"},
    postgresql_where=streams.c.status == "live",
)
Index(
    "ix_streams_live_title_prefix",
    text("lower(title) text_pattern_ops"),
    _table=streams,
    postgresql_where=streams.c.status == "live",
)
Index(
    "ix_users_username_trgm",
    users.c.username,
    postgresql_using="gin",
    postgresql_ops={"username": "gin_trgm_ops"},
)
Index(
    "ix_users_display_name_trgm",
    users.c.display_name,
    postgresql_using="gin",
    postgresql_ops={"display_name": "gin_trgm_ops"},
)
Index(
    "ix_users_username_prefix", text("lower(username) text_pattern_ops"), _table=users
)
Index(
    "ix_users_display_name_prefix",
    text("lower(display_name) text_pattern_ops"),
    _table=users,
)
Index(
    "ix_categories_name_trgm",
    categories.c.name,
    postgresql_using="gin",
    postgresql_ops={"name": "gin_trgm_ops"},
)
Index(
    "ix_categories_name_prefix", text("lower(name) text_pattern_ops"), _table=categories
)
# The stream listing's ``search`` filter (ILIKE on title and description),
# created by migration 0005.
Index(
    "ix_streams_title_trgm",
    streams.c.title,
    postgresql_using="gin",
    postgresql_ops={"title": "gin_trgm_ops"},
)
Index(
    "ix_streams_description_trgm",
    streams.c.description,
    postgresql_using="gin",
    postgresql_ops={"description": "gin_trgm_ops"},
)
