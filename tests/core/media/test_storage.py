from __future__ import annotations

import json
import stat
from pathlib import Path

import aiohttp
import pytest

from core.media.storage import (
    IMMUTABLE_CACHE_CONTROL,
    LocalStorage,
    MediaStorage,
    MediaStorageError,
    S3Storage,
    content_type_for,
    is_valid_name,
    open_media_storage,
    s3_base_url,
)
from core.settings import Settings

NAME = "avatar-0123456789abcdef0123456789abcdef-" + "a" * 64 + ".jpg"


@pytest.fixture
def local_storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "media", "http://127.0.0.1:8080/media/")


@pytest.mark.parametrize(
    "name",
    [
        "../etc/passwd",
        "a/b.jpg",
        ".hidden",
        "",
        "a..b/c",
        "x.jpg/",
        "name with space.jpg",
        "a\x00.jpg",
        "é.jpg",
    ],
)
def test_name_rejects_paths(name: str) -> None:
    assert not is_valid_name(name)


def test_name_accepts_content_names() -> None:
    assert is_valid_name(NAME)
    assert is_valid_name("a.png")


def test_content_type_from_extension() -> None:
    assert content_type_for("x.jpg") == "image/jpeg"
    assert content_type_for("x.png") == "image/png"
    assert content_type_for("x.svg") == "application/octet-stream"


async def test_local_put_exists_delete(local_storage: LocalStorage) -> None:
    assert not await local_storage.exists(NAME)

    await local_storage.put(NAME, b"image-bytes", "image/jpeg")

    assert await local_storage.exists(NAME)
    path = local_storage.path(NAME)
    assert path.read_bytes() == b"image-bytes"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [entry.name for entry in local_storage.root.iterdir()] == [NAME]

    await local_storage.delete(NAME)

    assert not await local_storage.exists(NAME)
    assert not path.exists()


async def test_local_put_replaces_whole_file(local_storage: LocalStorage) -> None:
    await local_storage.put(NAME, b"first", "image/jpeg")

    await local_storage.put(NAME, b"second", "image/jpeg")

    assert local_storage.path(NAME).read_bytes() == b"second"


async def test_local_delete_missing_is_noop(local_storage: LocalStorage) -> None:
    await local_storage.delete(NAME)

    assert not await local_storage.exists(NAME)


async def test_local_failed_rename_removes_temporary(
    local_storage: LocalStorage,
) -> None:
    # A directory where the file should go makes the final rename fail.
    local_storage.path(NAME).mkdir(parents=True)

    with pytest.raises(MediaStorageError):
        await local_storage.put(NAME, b"data", "image/jpeg")

    assert [entry.name for entry in local_storage.root.iterdir()] == [NAME]


def test_local_url(local_storage: LocalStorage) -> None:
    assert local_storage.url(NAME) == f"http://127.0.0.1:8080/media/{NAME}"


def test_storage_rejects_traversal_name(local_storage: LocalStorage) -> None:
    with pytest.raises(ValueError, match="invalid media file name"):
        local_storage.path("../secret")


async def test_local_settings_open_local_storage(tmp_path: Path) -> None:
    settings = Settings(media_root=tmp_path, api_host="127.0.0.1", api_port=9000)

    async with open_media_storage(settings) as storage:
        assert isinstance(storage, LocalStorage)
        assert storage.url("a.png") == "http://127.0.0.1:9000/media/a.png"


def test_s3_settings_require_bucket() -> None:
    with pytest.raises(ValueError, match="MEDIA_S3_BUCKET is missing"):
        Settings(media_storage="s3")


def test_s3_base_url_variants() -> None:
    assert s3_base_url(
        Settings(media_storage="s3", media_s3_bucket="b", media_s3_region="eu-west-1")
    ) == ("https://b.s3.eu-west-1.amazonaws.com")
    assert (
        s3_base_url(
            Settings(
                media_storage="s3",
                media_s3_bucket="b",
                media_s3_endpoint_url="http://minio:9000/",
            )
        )
        == "http://minio:9000/b"
    )
    assert (
        s3_base_url(
            Settings(
                media_storage="s3",
                media_s3_bucket="b",
                media_public_base_url="https://cdn.example.com/m/",
            )
        )
        == "https://cdn.example.com/m"
    )


async def test_s3_put_exists_delete(
    s3_storage: MediaStorage, s3_settings: Settings
) -> None:
    assert isinstance(s3_storage, S3Storage)
    assert not await s3_storage.exists(NAME)

    await s3_storage.put(NAME, b"\xff\xd8image", "image/jpeg")

    assert await s3_storage.exists(NAME)
    head = await s3_storage.client.head_object(
        Bucket=s3_settings.media_s3_bucket, Key=NAME
    )
    assert head["ContentType"] == "image/jpeg"
    assert head["CacheControl"] == IMMUTABLE_CACHE_CONTROL
    assert head["ContentLength"] == 7

    await s3_storage.delete(NAME)

    assert not await s3_storage.exists(NAME)


async def test_s3_url_serves_object(
    s3_storage: MediaStorage, s3_endpoint: str, s3_settings: Settings
) -> None:
    await s3_storage.put(NAME, b"png-bytes", "image/png")
    # Buckets serve their objects publicly through a policy like this one.
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{s3_settings.media_s3_bucket}/*",
            }
        ],
    }
    await s3_storage.client.put_bucket_policy(  # type: ignore[attr-defined]
        Bucket=s3_settings.media_s3_bucket, Policy=json.dumps(policy)
    )

    url = s3_storage.url(NAME)

    assert url == f"{s3_endpoint}/{s3_settings.media_s3_bucket}/{NAME}"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200
        assert await response.read() == b"png-bytes"
        assert response.headers["Content-Type"] == "image/png"
        assert response.headers["Cache-Control"] == IMMUTABLE_CACHE_CONTROL


async def test_s3_delete_missing_is_noop(s3_storage: MediaStorage) -> None:
    await s3_storage.delete(NAME)

    assert not await s3_storage.exists(NAME)


async def test_s3_missing_bucket_raises(s3_settings: Settings) -> None:
    settings = s3_settings.model_copy(
        update={"media_s3_bucket": "bucket-that-does-not-exist"}
    )

    async with open_media_storage(settings) as storage:
        with pytest.raises(
            MediaStorageError, match="bucket-that-does-not-exist failed"
        ):
            await storage.put(NAME, b"data", "image/jpeg")
