"""Streams, their viewer samples, received notifications and pending Cloudflare work."""

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR, UUID

from core.tables.base import metadata

STREAM_STATUSES = ("offline", "live", "ended")

streams = Table(
    "streams",
    metadata,
    Column(
        "id",
        UUID(as_uuid=True),
        primary_key=True,
        server_default=text("gen_random_uuid()"),
    ),
    Column(
        "user_id",
        UUID(as_uuid=True),
        ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column(
        "tenant_id", UUID(as_uuid=True), ForeignKey("tenants.id", ondelete="SET NULL")
    ),
    Column(
        "category_id",
        UUID(as_uuid=True),
        ForeignKey("categories.id", ondelete="SET NULL"),
    ),
    Column("title", String(140), nullable=False),
    Column("description", String(5000), nullable=False, server_default=""),
    Column("thumbnail_url", Text),
    Column("status", String(16), nullable=False, server_default="offline"),
    # Cloudflare live input; the stream key is a secret shown only to the owner.
    Column("live_input_uid", String(64), nullable=False, unique=True),
    Column("rtmps_url", Text, nullable=False),
    Column("stream_key", Text, nullable=False),
    Column("playback_url", Text, nullable=False),
    # Viewer numbers, written by the sampling worker.
    Column("viewer_count", Integer, nullable=False, server_default=text("0")),
    Column("peak_viewer_count", Integer, nullable=False, server_default=text("0")),
    Column("viewer_count_sampled_at", DateTime(timezone=True)),
    Column("unconfirmed_viewer_count", Integer),
    # Lifecycle.
    Column("started_at", DateTime(timezone=True)),
    Column("ended_at", DateTime(timezone=True)),
    Column("disconnected_at", DateTime(timezone=True)),
    Column("last_signal_at", DateTime(timezone=True)),
    Column("last_event_at", DateTime(timezone=True)),
    Column("end_reason", String(32)),
    Column(
        "created_at", DateTime(timezone=True), nullable=False, server_default=func.now()
    ),
    Column(
        "updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()
    ),
    # Weighted full-text vector kept current by triggers (migration 0004); never written by code.
    Column(
        "search_vector", TSVECTOR, nullable=False, server_default=text("''::tsvector")
    ),
    CheckConstraint("status IN ('offline', 'live', 'ended')", name="status_valid"),
    CheckConstraint("viewer_count >= 0", name="viewer_count_non_negative"),
)
# At most one live stream per user, enforced by the database.
Index(
    "ix_streams_one_live_per_user",
    streams.c.user_id,
    unique=True,
    postgresql_where=streams.c.status == "live",
)
Index("ix_streams_user_created", streams.c.user_id, streams.c.created_at.desc())
Index(
    "ix_streams_live_viewers",
    streams.c.viewer_count.desc(),
    streams.c.id,
    postgresql_where=streams.c.status == "live",
)
Index(
    "ix_streams_ended_recent",
    streams.c.ended_at.desc(),
    streams.c.id,
    postgresql_where=streams.c.status == "ended",
)
Index("ix_streams_category_status", streams.c.category_id, streams.c.status)
Index("ix_streams_tenant_status", streams.c.tenant_id, streams.c.status)

viewer_samples = Table(
    "viewer_samples",
    metadata,
    Column(
        "stream_id",
        UUID(as_uuid=True),
        ForeignKey("streams.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("sampled_at", DateTime(timezone=True), nullable=False),
    Column("viewer_count", Integer, nullable=False),
    PrimaryKeyConstraint("stream_id", "sampled_at"),
)
Index("ix_viewer_samples_sampled_at", viewer_samples.c.sampled_at)

webhook_events = Table(
    "webhook_events",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column(
        "received_at",
        DateTime(timezone=True),
        nullable=False,
        server_default=func.now(),
    ),
    Column("input_id", String(64)),
    Column("event_type", String(64)),
    Column("event_updated_at", DateTime(timezone=True)),
    Column("body", JSONB, nullable=False),
    # applied, duplicate, stale, unknown_input, ignored
    Column("outcome", String(32), nullable=False),
    Column(
        "stream_id", UUID(as_uuid=True), ForeignKey("streams.id", ondelete="SET NULL")
    ),
)
Index(
    "ix_webhook_events_input_event",
    webhook_events.c.input_id,
    webhook_events.c.event_type,
    webhook_events.c.event_updated_at,
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column(
        "user_id",
        UUID(as_uuid=True),
        ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("key", String(255), nullable=False),
    Column("request_fingerprint", String(64), nullable=False),
    Column("response_status", SmallInteger),
    Column("response_body", JSONB),
    Column(
        "created_at", DateTime(timezone=True), nullable=False, server_default=func.now()
    ),
    PrimaryKeyConstraint("user_id", "key"),
)
Index("ix_idempotency_keys_created_at", idempotency_keys.c.created_at)

live_input_deletions = Table(
    "live_input_deletions",
    metadata,
    Column("live_input_uid", String(64), primary_key=True),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text),
    Column(
        "created_at", DateTime(timezone=True), nullable=False, server_default=func.now()
    ),
    Column(
        "next_attempt_at",
        DateTime(timezone=True),
        nullable=False,
        server_default=func.now(),
    ),
)
