"""Add checks that a schedule entry lasts and that nobody holds a role in their own channel.

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
    op.create_check_constraint(
        "start_end_differ", "schedule_entries", "start_time <> end_time"
    )
    op.create_check_constraint(
        "not_own_channel", "channel_roles", "user_id <> channel_id"
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("ck_channel_roles_not_own_channel"), "channel_roles", type_="check"
    )
    op.drop_constraint(
        op.f("ck_schedule_entries_start_end_differ"), "schedule_entries", type_="check"
    )
