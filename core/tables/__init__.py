"""SQLAlchemy Core tables, one module per concept, all on one ``metadata``.

Alembic migrations under ``migrations/versions`` are the only way the schema
changes; these definitions describe it for queries and for autogenerate.
"""

from core.tables.base import metadata
from core.tables.community import (
    channel_roles,
    chat_bans,
    chat_messages,
    follows,
    notifications,
    schedule_entries,
)
from core.tables.identity import api_keys, categories, tenants, users
from core.tables.search import search_outbox
from core.tables.streams import (
    idempotency_keys,
    live_input_deletions,
    streams,
    viewer_samples,
    webhook_events,
)

__all__ = [
    "api_keys",
    "categories",
    "channel_roles",
    "chat_bans",
    "chat_messages",
    "follows",
    "idempotency_keys",
    "live_input_deletions",
    "metadata",
    "notifications",
    "schedule_entries",
    "search_outbox",
    "streams",
    "tenants",
    "users",
    "viewer_samples",
    "webhook_events",
]
