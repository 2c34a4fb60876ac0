"""Alembic migrations agree with the table metadata and can be undone."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator

import psycopg2
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from core.tables import metadata
from tests.conftest import ROOT, _admin_execute, _database_url


def _engine(url: str):
    return create_engine(url.replace("postgresql://", "postgresql+psycopg2://", 1))


def _config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = url
    config.attributes["configure_logger"] = False
    return config


@pytest.fixture
def scratch_url() -> Iterator[str]:
    name = f"lsmigrate_{uuid.uuid4().hex[:10]}"
    _admin_execute(f'CREATE DATABASE "{name}"')
    yield _database_url(name)
    _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_migrated_schema_matches_metadata(database_url):
    engine = _engine(database_url)
    with engine.connect() as connection, warnings.catch_warnings():
        # Expression indexes with operator classes cannot be compared and warn.
        warnings.simplefilter("ignore")
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    engine.dispose()

    assert differences == []


def test_downgrade_to_base_and_upgrade_again(scratch_url):
    config = _config(scratch_url)

    command.upgrade(config, "head")
    command.downgrade(config, "base")
    command.upgrade(config, "head")

    connection = psycopg2.connect(scratch_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT version_num FROM alembic_version")
            assert cursor.fetchone() is not None
    finally:
        connection.close()


def test_user_delete_removes_their_notifications(scratch_url):
    command.upgrade(_config(scratch_url), "head")
    connection = psycopg2.connect(scratch_url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO users (username, email, password_hash, display_name) VALUES "
                "('reader', 'r@example.com', 'x', 'R'), ('actor', 'a@example.com', 'x', 'A') "
                "RETURNING id"
            )
            reader_id, actor_id = (row[0] for row in cursor.fetchall())
            cursor.execute(
                "INSERT INTO notifications (user_id, kind, actor_id, dedupe_key) "
                "VALUES (%s, 'new_follower', %s, 'k1'), (%s, 'new_follower', %s, 'k2')",
                (reader_id, actor_id, actor_id, reader_id),
            )

            cursor.execute("DELETE FROM users WHERE id = %s", (reader_id,))

            cursor.execute("SELECT user_id FROM notifications")
            remaining = [row[0] for row in cursor.fetchall()]
    finally:
        connection.close()

    assert remaining == [actor_id]
