"""Tenants, users with their streamer profile, API keys and categories."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from core.tables.base import metadata

tenants = Table(
    "tenants",
    metadata,
    Column(
        "id",
        UUID(as_uuid=True),
        primary_key=True,
        server_default=text("gen_random_uuid()"),
    ),
    Column("name", String(100), nullable=False, unique=True),
    Column(
        "created_at", DateTime(timezone=True), nullable=False, server_default=func.now()
    ),
)

#: Usernames are 3 to 25 characters of ASCII letters, digits and underscores,
#: unique regardless of case (enforced by ``ix_users_username_lower``).
USERNAME_PATTERN = r"^[A-Za-z0-9_]{3,25}$"

users = Table(
    "users",
    metadata,
    Column(
        "id",
        UUID(as_uuid=True),
        primary_key=True,
        server_default=text("gen_random_uuid()"),
    ),
    Column("username", String(25), nullable=False),
    Column("email", String(254), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("display_name", String(50), nullable=False),
    Column(
        "tenant_id", UUID(as_uuid=True), ForeignKey("tenants.id", ondelete="SET NULL")
    ),
    Column("is_admin", Boolean, nullable=False, server_default=text("false")),
    Column("is_verified", Boolean, nullable=False, server_default=text("false")),
    Column("is_partner", Boolean, nullable=False, server_default=text("false")),
    # Streamer profile.
    Column("bio", String(1000), nullable=False, server_default=""),
    Column("stream_title", String(140)),
    Column(
        "stream_category_id",
        UUID(as_uuid=True),
        ForeignKey("categories.id", ondelete="SET NULL"),
    ),
    Column("social_links", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("avatar_url", Text),
    Column("banner_url", Text),
    # Maintained counters: updated in the same transaction as the rows they count.
    Column("follower_count", Integer, nullable=False, server_default=text("0")),
    Column("following_count", Integer, nullable=False, server_default=text("0")),
    Column("total_views", BigInteger, nullable=False, server_default=text("0")),
    Column(
        "total_stream_seconds", BigInteger, nullable=False, server_default=text("0")
    ),
    Column(
        "created_at", DateTime(timezone=True), nullable=False, server_default=func.now()
    ),
    Column(
        "updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()
    ),
    CheckConstraint("username ~ '^[A-Za-z0-9_]{3,25}$'", name="username_pattern"),
    CheckConstraint("follower_count >= 0", name="follower_count_non_negative"),
    CheckConstraint("following_count >= 0", name="following_count_non_negative"),
)
Index("ix_users_username_lower", func.lower(users.c.username), unique=True)
Index("ix_users_email_lower", func.lower(users.c.email), unique=True)
Index("ix_users_tenant_id", users.c.tenant_id)

api_keys = Table(
    "api_keys",
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
    Column("name", String(100), nullable=False),
    Column("prefix", String(16), nullable=False),
    # SHA-256 of the whole key, hex; keys are 256-bit random so a slow hash adds nothing.
    Column("key_hash", String(64), nullable=False, unique=True),
    Column(
        "created_at", DateTime(timezone=True), nullable=False, server_default=func.now()
    ),
    Column("last_used_at", DateTime(timezone=True)),
)
Index("ix_api_keys_user_id", api_keys.c.user_id)

categories = Table(
    "categories",
    metadata,
    Column(
        "id",
        UUID(as_uuid=True),
        primary_key=True,
        server_default=text("gen_random_uuid()"),
    ),
    Column("name", String(100), nullable=False),
    Column("slug", String(100), nullable=False, unique=True),
    Column(
        "created_at", DateTime(timezone=True), nullable=False, server_default=func.now()
    ),
)
Index("ix_categories_name_lower", func.lower(categories.c.name), unique=True)
