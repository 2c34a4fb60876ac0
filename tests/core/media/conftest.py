"""A local S3 server for the storage tests, on a free loopback port."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from moto.server import ThreadedMotoServer

from core.media.storage import MediaStorage, open_media_storage
from core.settings import Settings

S3_ACCESS_KEY = "test-access-key"
S3_SECRET_KEY = "test-secret-key"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials in the standard variables; no lookup of other credential sources."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")


@pytest.fixture
def s3_settings(s3_endpoint: str, s3_credentials: None) -> Settings:
    return Settings(
        media_storage="s3",
        media_s3_bucket=f"media-{uuid.uuid4().hex[:12]}",
        media_s3_endpoint_url=s3_endpoint,
        media_s3_region="us-east-1",
    )


@pytest.fixture
async def s3_storage(s3_settings: Settings) -> AsyncIterator[MediaStorage]:
    """S3 storage on a new, empty bucket of the local server."""
    async with open_media_storage(s3_settings) as storage:
        await storage.client.create_bucket(Bucket=s3_settings.media_s3_bucket)  # type: ignore[attr-defined]
        yield storage
