"""Add the weighted stream search vector, its triggers and the search indexes.

The ``streams.search_vector`` column holds English lexemes of the title
(weight A), description (B) and streamer username and display name (C), plus
unstemmed lexemes of all four (D) so that prefix queries match words the
English stemmer would shorten ("gamin" finds "gaming"). The unstemmed copy
uses ``search_unstemmed``, a copy of the ``simple`` configuration whose
dictionary drops English stop words, so that "and" as a last word matches no
row. Triggers
keep it current: a stream insert or a change of title, description or owner
recomputes the row, and a username or display-name change recomputes every
stream of that user.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VECTOR_FUNCTION = """
CREATE FUNCTION stream_search_vector(
    title text, description text, username text, display_name text
) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'B')
        || setweight(to_tsvector('english'::regconfig,
                                 concat_ws(' ', username, display_name)), 'C')
        || setweight(to_tsvector('search_unstemmed'::regconfig,
                                 concat_ws(' ', title, description, username, display_name)), 'D')
$$
"""

STREAM_TRIGGER_FUNCTION = """
CREATE FUNCTION streams_refresh_search_vector() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    owner record;
BEGIN
    SELECT username, display_name INTO owner FROM users WHERE id = NEW.user_id;
    NEW.search_vector := stream_search_vector(
        NEW.title, NEW.description, owner.username, owner.display_name);
    RETURN NEW;
END
$$
"""

USER_TRIGGER_FUNCTION = """
CREATE FUNCTION users_refresh_stream_search_vectors() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE streams
       SET search_vector = stream_search_vector(
               title, description, NEW.username, NEW.display_name)
     WHERE user_id = NEW.id;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(
        "CREATE TEXT SEARCH DICTIONARY search_unstemmed_dict"
        " (TEMPLATE = pg_catalog.simple, STOPWORDS = english)"
    )
    op.execute(
        "CREATE TEXT SEARCH CONFIGURATION search_unstemmed (COPY = pg_catalog.simple)"
    )
    op.execute(
        "ALTER TEXT SEARCH CONFIGURATION search_unstemmed"
        " ALTER MAPPING REPLACE simple WITH search_unstemmed_dict"
    )
    op.execute(
        "ALTER TABLE streams ADD COLUMN search_vector tsvector NOT NULL DEFAULT ''::tsvector"
    )
    op.execute(VECTOR_FUNCTION)
    op.execute(STREAM_TRIGGER_FUNCTION)
    op.execute(USER_TRIGGER_FUNCTION)
    op.execute(
        "CREATE TRIGGER streams_search_vector"
        " BEFORE INSERT OR UPDATE OF title, description, user_id ON streams"
        " FOR EACH ROW EXECUTE FUNCTION streams_refresh_search_vector()"
    )
    op.execute(
        "CREATE TRIGGER users_stream_search_vectors"
        " AFTER UPDATE OF username, display_name ON users"
        " FOR EACH ROW"
        " WHEN (OLD.username IS DISTINCT FROM NEW.username"
        "       OR OLD.display_name IS DISTINCT FROM NEW.display_name)"
        " EXECUTE FUNCTION users_refresh_stream_search_vectors()"
    )
    op.execute(
        "UPDATE streams AS s SET search_vector = stream_search_vector("
        "s.title, s.description, u.username, u.display_name) FROM users AS u WHERE u.id = s.user_id"
    )

    op.execute(
        "CREATE INDEX ix_streams_search_vector ON streams USING gin (search_vector)"
    )
    # Trending terms read recently started public streams newest first.
    op.execute(
        "CREATE INDEX ix_streams_started_at ON streams (started_at DESC)"
        " WHERE status IN ('live', 'ended')"
    )
    # Suggestions: trigram indexes for 3+ characters, left-anchored prefix
    # indexes for shorter input, which trigrams cannot serve.
    op.execute(
        "CREATE INDEX ix_streams_live_title_trgm ON streams USING gin (title gin_trgm_ops)"
        " WHERE status = 'live'"
    )
    op.execute(
        "CREATE INDEX ix_streams_live_title_prefix ON streams (lower(title) text_pattern_ops)"
        " WHERE status = 'live'"
    )
    op.execute(
        "CREATE INDEX ix_users_username_trgm ON users USING gin (username gin_trgm_ops)"
    )
    op.execute(
        "CREATE INDEX ix_users_display_name_trgm ON users USING gin (display_name gin_trgm_ops)"
    )
    op.execute(
        "CREATE INDEX ix_users_username_prefix ON users (lower(username) text_pattern_ops)"
    )
    op.execute(
        "CREATE INDEX ix_users_display_name_prefix ON users (lower(display_name) text_pattern_ops)"
    )
    op.execute(
        "CREATE INDEX ix_categories_name_trgm ON categories USING gin (name gin_trgm_ops)"
    )
    op.execute(
        "CREATE INDEX ix_categories_name_prefix ON categories (lower(name) text_pattern_ops)"
    )


def downgrade() -> None:
    for index in (
        "ix_categories_name_prefix",
        "ix_categories_name_trgm",
        "ix_users_display_name_prefix",
        "ix_users_username_prefix",
        "ix_users_display_name_trgm",
        "ix_users_username_trgm",
        "ix_streams_live_title_prefix",
        "ix_streams_live_title_trgm",
        "ix_streams_started_at",
        "ix_streams_search_vector",
    ):
        op.execute(f"DROP INDEX IF EXISTS {index}")
    op.execute("DROP TRIGGER IF EXISTS users_stream_search_vectors ON users")
    op.execute("DROP TRIGGER IF EXISTS streams_search_vector ON streams")
    op.execute("DROP FUNCTION IF EXISTS users_refresh_stream_search_vectors()")
    op.execute("DROP FUNCTION IF EXISTS streams_refresh_search_vector()")
    op.execute("DROP FUNCTION IF EXISTS stream_search_vector(text, text, text, text)")
    op.execute("ALTER TABLE streams DROP COLUMN IF EXISTS search_vector")
    op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS search_unstemmed")
    op.execute("DROP TEXT SEARCH DICTIONARY IF EXISTS search_unstemmed_dict")
    # pg_trgm stays: other schemas in the database may use it.
