"""Follows, notifications, channel roles, weekly schedules and chat."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    Time,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from core.tables.base import metadata

follows = Table(
    "follows",
    metadata,
    Column(
        "follower_id",
        UUID(as_uuid=True),
        ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column(
        "followed_id",
        UUID(as_uuid=True),
        ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column(
        "notifications_enabled", Boolean, nullable=False, server_default=text("true")
    ),
    Column(
        "created_at", DateTime(timezone=True), nullable=False, server_default=func.now()
    ),
    PrimaryKeyConstraint("follower_id", "followed_id"),
    CheckConstraint("follower_id <> followed_id", name="not_self"),
)
# Fan-out and follower listings walk this index by followed_id in follower_id order.
Index("ix_follows_followed_follower", follows.c.followed_id, follows.c.follower_id)
Index("ix_follows_followed_created", follows.c.followed_id, follows.c.created_at.desc())
Index("ix_follows_follower_created", follows.c.follower_id, follows.c.created_at.desc())

NOTIFICATION_KINDS = ("stream_live", "new_follower")

notifications = Table(
    "notifications",
    metadata,
    Column(
        "id",
        UUID(as_uuid=True),
        primary_key=True,
        server_default=text("gen_random_uuid()"),
    ),
    # No foreign keys here: their per-row checks dominated the cost of a large
    # fan-out. The trigger users_delete_notifications removes a deleted user's
    # notifications; the actor or the stream of a notification may be gone.
    Column("user_id", UUID(as_uuid=True), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("actor_id", UUID(as_uuid=True), nullable=False),
    Column("stream_id", UUID(as_uuid=True)),
    # One notification per (user, dedupe_key): a redelivered fan-out inserts nothing.
    Column("dedupe_key", String(128), nullable=False),
    Column("data", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("read_at", DateTime(timezone=True)),
    Column(
        "created_at", DateTime(timezone=True), nullable=False, server_default=func.now()
    ),
    CheckConstraint("kind IN ('stream_live', 'new_follower')", name="kind_valid"),
)
Index(
    "ix_notifications_user_dedupe",
    notifications.c.user_id,
    notifications.c.dedupe_key,
    unique=True,
)
Index(
    "ix_notifications_user_created",
    notifications.c.user_id,
    notifications.c.created_at.desc(),
)
Index(
    "ix_notifications_user_unread",
    notifications.c.user_id,
    postgresql_where=notifications.c.read_at.is_(None),
)

channel_roles = Table(
    "channel_roles",
    metadata,
    Column(
        "channel_id",
        UUID(as_uuid=True),
        ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column(
        "user_id",
        UUID(as_uuid=True),
        ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("badge_type", String(16), nullable=False),
    Column(
        "granted_by", UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL")
    ),
    Column(
        "created_at", DateTime(timezone=True), nullable=False, server_default=func.now()
    ),
    PrimaryKeyConstraint("channel_id", "user_id", "badge_type"),
    CheckConstraint(
        "badge_type IN ('moderator', 'vip', 'subscriber')", name="badge_type_valid"
    ),
    CheckConstraint("user_id <> channel_id", name="not_own_channel"),
)

schedule_entries = Table(
    "schedule_entries",
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
    Column("day_of_week", SmallInteger, nullable=False),
    Column("start_time", Time, nullable=False),
    Column("end_time", Time, nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("title", String(140), nullable=False, server_default=""),
    Column(
        "category_id",
        UUID(as_uuid=True),
        ForeignKey("categories.id", ondelete="SET NULL"),
    ),
    Column(
        "created_at", DateTime(timezone=True), nullable=False, server_default=func.now()
    ),
    Column(
        "updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()
    ),
    CheckConstraint("day_of_week BETWEEN 0 AND 6", name="day_of_week_range"),
    # An end time before the start time means the next day; equal times are invalid.
    CheckConstraint("start_time <> end_time", name="start_end_differ"),
)
Index(
    "ix_schedule_entries_user_day",
    schedule_entries.c.user_id,
    schedule_entries.c.day_of_week,
)

chat_messages = Table(
    "chat_messages",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column(
        "stream_id",
        UUID(as_uuid=True),
        ForeignKey("streams.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column(
        "user_id",
        UUID(as_uuid=True),
        ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("body", String(500), nullable=False),
    Column(
        "created_at", DateTime(timezone=True), nullable=False, server_default=func.now()
    ),
    Column("deleted_at", DateTime(timezone=True)),
    Column(
        "deleted_by", UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL")
    ),
)
Index(
    "ix_chat_messages_stream_id", chat_messages.c.stream_id, chat_messages.c.id.desc()
)

chat_bans = Table(
    "chat_bans",
    metadata,
    Column(
        "channel_id",
        UUID(as_uuid=True),
        ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column(
        "user_id",
        UUID(as_uuid=True),
        ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
    ),
    # NULL means a permanent ban; a time means a timeout that lifts then.
    Column("expires_at", DateTime(timezone=True)),
    Column("reason", Text, nullable=False, server_default=""),
    Column(
        "created_by", UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL")
    ),
    Column(
        "created_at", DateTime(timezone=True), nullable=False, server_default=func.now()
    ),
    PrimaryKeyConstraint("channel_id", "user_id"),
)
