"""Storage backends for processed media files: a local directory or an S3 bucket.

Files are written once under a name derived from their content and never
change afterwards, so every backend serves them with a one-year immutable
cache lifetime.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError

from core.errors import UpstreamError
from core.settings import Settings

logger = logging.getLogger(__name__)

IMMUTABLE_CACHE_CONTROL = "public, max-age=31536000, immutable"

#: One path segment of letters, digits, ``_`` and ``-`` with an optional
#: extension: no slash, no leading dot and so no way out of the storage root.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,199}(\.[A-Za-z0-9]{1,10})?")

#: Content types of the extensions that the media service writes.
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png"}


class MediaStorageError(UpstreamError):
    """The storage backend failed to write, read or delete a file."""


def is_valid_name(name: str) -> bool:
    return NAME_PATTERN.fullmatch(name) is not None


def _check_name(name: str) -> None:
    if not is_valid_name(name):
        # Callers build names themselves, so this is a programming error.
        raise ValueError(
            f"invalid media file name {name!r}: expected {NAME_PATTERN.pattern}"
        )


def content_type_for(name: str) -> str:
    """Return the content type of a stored file from its extension."""
    extension = name.rpartition(".")[2].lower()
    return CONTENT_TYPES.get(extension, "application/octet-stream")


class MediaStorage(Protocol):
    """A flat namespace of immutable files addressed by name."""

    async def put(self, name: str, data: bytes, content_type: str) -> None:
        """Store ``data`` under ``name``, replacing any file of that name."""

    async def delete(self, name: str) -> None:
        """Remove ``name``. Removing a missing file is not an error."""

    async def exists(self, name: str) -> bool: ...

    def url(self, name: str) -> str:
        """Return the public URL that serves ``name``."""


class LocalStorage:
    """Files in one directory, served by the API at ``GET /media/{name}``."""

    def __init__(self, root: Path, base_url: str) -> None:
        self.root = root
        self.base_url = base_url.rstrip("/")

    def path(self, name: str) -> Path:
        _check_name(name)
        return self.root / name

    async def put(self, name: str, data: bytes, content_type: str) -> None:
        path = self.path(name)
        try:
            await asyncio.get_running_loop().run_in_executor(
                None, self._write, path, data
            )
        except OSError as err:
            raise MediaStorageError(f"writing media file {name} failed: {err}") from err
        logger.info("Stored media file: name=%s bytes=%s", name, len(data))

    def _write(self, path: Path, data: bytes) -> None:
        # Write to a temporary file in the same directory, then rename: readers
        # see either no file or the whole file, never a partial one. Both the
        # file and the directory are synced, so that a crash after the caller
        # commits a row that names the file cannot lose the file.
        self.root.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(
            dir=self.root, prefix=".upload-", suffix=".tmp"
        )
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        directory = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    async def delete(self, name: str) -> None:
        path = self.path(name)
        try:
            await asyncio.get_running_loop().run_in_executor(None, path.unlink, True)
        except OSError as err:
            raise MediaStorageError(
                f"deleting media file {name} failed: {err}"
            ) from err
        logger.info("Deleted media file: name=%s", name)

    async def exists(self, name: str) -> bool:
        path = self.path(name)
        return await asyncio.get_running_loop().run_in_executor(None, path.is_file)

    def url(self, name: str) -> str:
        _check_name(name)
        return f"{self.base_url}/{name}"


class S3Storage:
    """Objects in one bucket of S3 or an S3-compatible service, read by clients."""

    def __init__(self, client: Any, bucket: str, base_url: str) -> None:
        self.client = client
        self.bucket = bucket
        self.base_url = base_url.rstrip("/")

    async def put(self, name: str, data: bytes, content_type: str) -> None:
        _check_name(name)
        try:
            await self.client.put_object(
                Bucket=self.bucket,
                Key=name,
                Body=data,
                ContentType=content_type,
                CacheControl=IMMUTABLE_CACHE_CONTROL,
            )
        except (BotoCoreError, ClientError) as err:
            raise MediaStorageError(
                f"uploading media file {name} to bucket {self.bucket} failed: {err}"
            ) from err
        logger.info(
            "Stored media file: name=%s bucket=%s bytes=%s",
            name,
            self.bucket,
            len(data),
        )

    async def delete(self, name: str) -> None:
        _check_name(name)
        try:
            await self.client.delete_object(Bucket=self.bucket, Key=name)
        except (BotoCoreError, ClientError) as err:
            raise MediaStorageError(
                f"deleting media file {name} from bucket {self.bucket} failed: {err}"
            ) from err
        logger.info("Deleted media file: name=%s bucket=%s", name, self.bucket)

    async def exists(self, name: str) -> bool:
        _check_name(name)
        try:
            await self.client.head_object(Bucket=self.bucket, Key=name)
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in (
                "404",
                "NoSuchKey",
                "NotFound",
            ):
                return False
            raise MediaStorageError(
                f"checking media file {name} in bucket {self.bucket} failed: {err}"
            ) from err
        except BotoCoreError as err:
            raise MediaStorageError(
                f"checking media file {name} in bucket {self.bucket} failed: {err}"
            ) from err
        return True

    def url(self, name: str) -> str:
        _check_name(name)
        return f"{self.base_url}/{name}"


def s3_base_url(settings: Settings) -> str:
    """Return the URL prefix of objects in the media bucket."""
    if settings.media_public_base_url:
        return settings.media_public_base_url.rstrip("/")
    if settings.media_s3_endpoint_url:
        return (
            f"{settings.media_s3_endpoint_url.rstrip('/')}/{settings.media_s3_bucket}"
        )
    return f"https://{settings.media_s3_bucket}.s3.{settings.media_s3_region}.amazonaws.com"


@asynccontextmanager
async def open_media_storage(settings: Settings) -> AsyncIterator[MediaStorage]:
    """Open the backend that ``MEDIA_STORAGE`` selects and close it on exit.

    S3 credentials come from botocore's usual chain: the ``AWS_ACCESS_KEY_ID``
    and ``AWS_SECRET_ACCESS_KEY`` variables first, then the shared files and
    instance roles.
    """
    if settings.media_storage == "local":
        base_url = (
            settings.media_public_base_url
            or f"{settings.effective_public_base_url}/media"
        )
        logger.info("Media storage opened: backend=local root=%s", settings.media_root)
        yield LocalStorage(settings.media_root, base_url)
        return

    assert settings.media_s3_bucket is not None  # enforced by Settings
    config = AioConfig(
        connect_timeout=5,
        read_timeout=30,
        retries={"max_attempts": 3, "mode": "standard"},
        # Path-style URLs need no DNS name per bucket, which self-hosted
        # S3-compatible services often lack.
        s3={"addressing_style": "path"} if settings.media_s3_endpoint_url else None,
    )
    client_context = get_session().create_client(
        "s3",
        region_name=settings.media_s3_region,
        endpoint_url=settings.media_s3_endpoint_url,
        config=config,
    )
    async with client_context as client:
        logger.info(
            "Media storage opened: backend=s3 bucket=%s endpoint=%s",
            settings.media_s3_bucket,
            settings.media_s3_endpoint_url or "aws",
        )
        yield S3Storage(client, settings.media_s3_bucket, s3_base_url(settings))
