"""Fixtures shared by every test: a private PostgreSQL database and Redis namespace per
test process, the Cloudflare emulator, and an API client wired to all three."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import redis.asyncio
import sqlalchemy as sa
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from alembic import command
from alembic.config import Config
from argon2 import PasswordHasher

from api.app import create_app
from core.db import Database, open_database
from core.events import RecordingSink
from core.identity import issue_api_key
from core.settings import Settings
from core.tables import metadata, users
from ops.cloudflare_emulator import EMULATOR_STATE, EmulatorState, create_emulator_app

ROOT = Path(__file__).resolve().parent.parent
ADMIN_DATABASE_URL = os.environ.get(
    "TEST_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
TEST_PASSWORD = "correct horse battery"


def _database_url(name: str) -> str:
    base, _, _ = ADMIN_DATABASE_URL.rpartition("/")
    return f"{base}/{name}"


def _admin_execute(sql: str) -> None:
    connection = psycopg2.connect(ADMIN_DATABASE_URL)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


def _worker_name() -> str:
    """Name of this test process: the xdist worker id, or ``main`` without xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """Create a database for this test process, migrate it with Alembic, drop it at the end."""
    name = f"lstest_{_worker_name()}_{uuid.uuid4().hex[:10]}"
    _admin_execute(f'CREATE DATABASE "{name}"')
    url = _database_url(name)
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = url
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")
    yield url
    _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_namespace() -> str:
    return f"lstest-{_worker_name()}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def password_hash() -> str:
    return PasswordHasher().hash(TEST_PASSWORD)


@pytest.fixture
def base_settings(database_url: str, redis_namespace: str, tmp_path: Path) -> Settings:
    """Settings on the private database and namespace; no real Cloudflare or Meilisearch."""
    return Settings(
        database_url=database_url,
        database_pool_min_size=0,
        database_pool_max_size=5,
        redis_url=TEST_REDIS_URL,
        redis_namespace=redis_namespace,
        meilisearch_url=None,
        cloudflare_api_token=None,
        cloudflare_account_id=None,
        cloudflare_api_base=None,
        cloudflare_delivery_base=None,
        cloudflare_webhook_secret="test-webhook-secret",
        cloudflare_max_retries=1,
        media_root=tmp_path / "media",
        stream_reconnect_window_seconds=0.3,
        # Until a test points it at its own app, the emulator posts to a closed
        # port, never to an API that ``make run`` may have on the default port.
        emulator_webhook_url="http://127.0.0.1:9/webhooks/cloudflare",
    )


@dataclass
class Emulator:
    url: str
    state: EmulatorState
    server: TestServer


@pytest.fixture
async def cloudflare_emulator(
    base_settings: Settings, aiohttp_server: Any
) -> AsyncIterator[Emulator]:
    """The Cloudflare emulator on a free loopback port."""
    emulator_app = create_emulator_app(base_settings)
    server = await aiohttp_server(emulator_app)
    emulator = Emulator(
        url=str(server.make_url("")).rstrip("/"),
        state=emulator_app[EMULATOR_STATE],
        server=server,
    )
    yield emulator
    # Notifications still being posted in the background finish before teardown.
    await emulator.state.wait_for_deliveries()


@pytest.fixture
def settings(base_settings: Settings, cloudflare_emulator: Emulator) -> Settings:
    return base_settings.model_copy(
        update={
            "cloudflare_api_base": f"{cloudflare_emulator.url}/client/v4",
            "cloudflare_delivery_base": cloudflare_emulator.url,
        }
    )


@pytest.fixture
async def db(database_url: str, base_settings: Settings) -> AsyncIterator[Database]:
    """A pool on the private database, with every table emptied first."""
    database = await open_database(base_settings, database_url=database_url)
    names = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    await database.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    yield database
    await database.close()


@pytest.fixture
async def redis_client(base_settings: Settings) -> AsyncIterator[redis.asyncio.Redis]:
    """A client on the test Redis; keys of this run's namespace are deleted before and after."""
    client = redis.asyncio.Redis.from_url(TEST_REDIS_URL, decode_responses=True)

    async def clear() -> None:
        keys = [
            key
            async for key in client.scan_iter(
                match=f"{base_settings.redis_namespace}*", count=1000
            )
        ]
        if keys:
            await client.delete(*keys)

    await clear()
    yield client
    await clear()
    await client.aclose()


@pytest.fixture
def events() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
def app(
    settings: Settings,
    db: Database,
    events: RecordingSink,
    redis_client: redis.asyncio.Redis,
) -> web.Application:
    return create_app(settings, database=db, events=events)


@pytest.fixture
async def client(
    app: web.Application, aiohttp_client: Any, cloudflare_emulator: Emulator
) -> TestClient:
    test_client = await aiohttp_client(app)
    cloudflare_emulator.state.webhook_url = str(
        test_client.make_url("/webhooks/cloudflare")
    )
    return test_client


UserFactory = Callable[..., Awaitable[tuple[dict, str]]]


@pytest.fixture
def make_user(db: Database, password_hash: str) -> UserFactory:
    """Insert a user (password ``TEST_PASSWORD``) and return ``(row, api_key)``."""

    async def factory(
        username: str | None = None,
        *,
        display_name: str | None = None,
        is_admin: bool = False,
        is_verified: bool = False,
        tenant_id: uuid.UUID | None = None,
        **columns: Any,
    ) -> tuple[dict, str]:
        username = username or f"user_{uuid.uuid4().hex[:12]}"
        row = await db.fetch_one(
            users.insert()
            .values(
                username=username,
                email=f"{username}@example.com",
                password_hash=password_hash,
                display_name=display_name or username,
                is_admin=is_admin,
                is_verified=is_verified,
                tenant_id=tenant_id,
                **columns,
            )
            .returning(users)
        )
        assert row is not None
        key, _ = await issue_api_key(db, row["id"], "test")
        return row, key

    return factory


def bearer(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"}


@pytest.fixture
def auth() -> Callable[[str], dict[str, str]]:
    """``auth(api_key)`` returns the Authorization header for that key."""
    return bearer
