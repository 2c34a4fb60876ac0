"""Drop the notification foreign keys to the actor and the stream.

A go-live fan-out inserts one notification per follower. The actor and the
stream are the same for every row of a fan-out, and their foreign-key checks
ran once per row, a large share of the insert time of a fan-out to a million
followers. The fan-out reads the stream row in the same statement that inserts,
so the ids are valid when written. A notification may outlive its stream or
actor; the listing then shows it without them. ``user_id`` keeps its foreign
key with ON DELETE CASCADE, so a user's notifications go with the user.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint("fk_notifications_actor_id_users", "notifications", type_="foreignkey")
    op.drop_constraint("fk_notifications_stream_id_streams", "notifications", type_="foreignkey")


def downgrade() -> None:
    op.create_foreign_key(
        "fk_notifications_stream_id_streams",
        "notifications",
        "streams",
        ["stream_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_foreign_key(
        "fk_notifications_actor_id_users",
        "notifications",
        "users",
        ["actor_id"],
        ["id"],
        ondelete="CASCADE",
    )
