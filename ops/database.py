"""Create the configured database if it is missing and migrate it to the newest revision.

``python -m ops.database`` is what ``make run`` calls before starting anything.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from alembic import command
from alembic.config import Config
from psycopg2 import sql

from core.logs import configure_logging
from core.settings import get_settings

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent


def ensure_database(database_url: str) -> bool:
    """Create the database named in ``database_url`` unless it exists; return True if created."""
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    maintenance_url = urlunsplit(parts._replace(path="/postgres"))
    connection = psycopg2.connect(maintenance_url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cursor.fetchone():
                return False
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            logger.info("database created name=%s", name)
            return True
    finally:
        connection.close()


def migrate(database_url: str) -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


def main() -> int:
    configure_logging("INFO")
    settings = get_settings()
    try:
        ensure_database(settings.database_url)
    except psycopg2.OperationalError as error:
        print(
            f"error: cannot reach PostgreSQL for DATABASE_URL: {error}".strip()
            + "\nStart PostgreSQL or set DATABASE_URL to a server you can reach.",
            file=sys.stderr,
        )
        return 1
    migrate(settings.database_url)
    logger.info("database is at the newest migration")
    return 0


if __name__ == "__main__":
    sys.exit(main())
