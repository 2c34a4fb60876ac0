"""Add trigram indexes that serve the stream listing's substring search.

``GET /api/v1/streams/?search=...`` matches title and description with
``ILIKE '%text%'``, which no B-tree can serve. GIN trigram indexes let
PostgreSQL answer it from the index for search text of 3 or more
characters instead of reading every stream.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # pg_trgm was created by revision 0004.
    op.execute(
        "CREATE INDEX ix_streams_title_trgm ON streams USING gin (title gin_trgm_ops)"
    )
    op.execute(
        "CREATE INDEX ix_streams_description_trgm "
        "ON streams USING gin (description gin_trgm_ops)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_streams_description_trgm")
    op.execute("DROP INDEX ix_streams_title_trgm")
