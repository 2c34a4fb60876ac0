from __future__ import annotations

import io
import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from PIL import Image

from core.db import Database
from core.errors import InvalidInput, NotFound, UnsupportedMediaType
from core.events import RecordingSink, UserChanged
from core.media.images import AVATAR, BANNER
from core.media.service import (
    media_name,
    remove_profile_image,
    replace_profile_image,
    stored_name,
)
from core.media.storage import LocalStorage, MediaStorage, MediaStorageError
from core.tables import search_outbox, users
from tests.core.media import samples

MAX_PIXELS = 40_000_000


class FlakyStorage(LocalStorage):
    """Local storage whose put or delete can be made to fail."""

    def __init__(self, root: Path) -> None:
        super().__init__(root, "http://127.0.0.1:8080/media")
        self.fail_put = False
        self.fail_delete = False

    async def put(self, name: str, data: bytes, content_type: str) -> None:
        if self.fail_put:
            raise MediaStorageError(f"writing media file {name} failed: disk full")
        await super().put(name, data, content_type)

    async def delete(self, name: str) -> None:
        if self.fail_delete:
            raise MediaStorageError(f"deleting media file {name} failed: read-only")
        await super().delete(name)


class RecordingExecutor(ThreadPoolExecutor):
    """A thread pool that records the thread of every task it ran."""

    def __init__(self) -> None:
        super().__init__(max_workers=1, thread_name_prefix="test-media")
        self.threads: list[str] = []

    def submit(
        self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> Future[Any]:
        def run() -> Any:
            self.threads.append(threading.current_thread().name)
            return fn(*args, **kwargs)

        return super().submit(run)


@pytest.fixture
def storage(tmp_path: Path) -> FlakyStorage:
    return FlakyStorage(tmp_path / "media")


@pytest.fixture
async def user_id(db: Database) -> uuid.UUID:
    username = f"media_{uuid.uuid4().hex[:10]}"
    row = await db.fetch_one(
        users.insert()
        .values(
            username=username,
            email=f"{username}@example.com",
            password_hash="x",
            display_name=username,
        )
        .returning(users.c.id)
    )
    assert row is not None
    return row["id"]


def jpeg(color: tuple[int, int, int], size: tuple[int, int] = (400, 300)) -> bytes:
    return samples.encode(Image.new("RGB", size, color), "JPEG", quality=95)


async def profile_urls(
    db: Database, user_id: uuid.UUID
) -> tuple[str | None, str | None]:
    row = await db.fetch_one(
        sa.select(users.c.avatar_url, users.c.banner_url).where(users.c.id == user_id)
    )
    assert row is not None
    return row["avatar_url"], row["banner_url"]


async def replace(
    db: Database,
    storage: MediaStorage,
    user_id: uuid.UUID,
    data: bytes,
    spec: Any = AVATAR,
    events: RecordingSink | None = None,
    executor: ThreadPoolExecutor | None = None,
) -> str:
    return await replace_profile_image(
        db,
        storage,
        events or RecordingSink(),
        user_id=user_id,
        spec=spec,
        data=data,
        max_pixels=MAX_PIXELS,
        executor=executor,
    )


def name_of(url: str) -> str:
    return url.rpartition("/")[2]


async def test_replace_stores_file_and_updates_row(
    db: Database, storage: FlakyStorage, user_id: uuid.UUID
) -> None:
    events = RecordingSink()

    url = await replace(db, storage, user_id, jpeg((200, 30, 30)), events=events)

    name = name_of(url)
    assert url == f"http://127.0.0.1:8080/media/{name}"
    assert name.startswith(f"avatar-{user_id.hex}-")
    assert name.endswith(".jpg")
    assert await storage.exists(name)
    with Image.open(io.BytesIO(storage.path(name).read_bytes())) as stored:
        assert stored.size == (256, 256)
    assert await profile_urls(db, user_id) == (url, None)
    assert events.of_type(UserChanged) == [UserChanged(user_id=user_id)]
    outbox = await db.fetch_all(
        sa.select(search_outbox.c.entity, search_outbox.c.entity_id)
    )
    assert {"entity": "user", "entity_id": user_id} in outbox


async def test_name_is_sha256_of_stored_bytes(
    db: Database, storage: FlakyStorage, user_id: uuid.UUID
) -> None:
    import hashlib

    url = await replace(db, storage, user_id, jpeg((10, 20, 30)), spec=BANNER)

    name = name_of(url)
    digest = hashlib.sha256(storage.path(name).read_bytes()).hexdigest()
    assert name == media_name("banner", user_id, digest, "jpg")


async def test_replace_deletes_previous_file(
    db: Database, storage: FlakyStorage, user_id: uuid.UUID
) -> None:
    first = await replace(db, storage, user_id, jpeg((200, 30, 30)))

    second = await replace(db, storage, user_id, jpeg((30, 30, 200)))

    assert first != second
    assert not await storage.exists(name_of(first))
    assert await storage.exists(name_of(second))
    assert await profile_urls(db, user_id) == (second, None)


async def test_same_image_twice_keeps_file(
    db: Database, storage: FlakyStorage, user_id: uuid.UUID
) -> None:
    data = jpeg((200, 30, 30))
    first = await replace(db, storage, user_id, data)

    second = await replace(db, storage, user_id, data)

    assert first == second
    assert await storage.exists(name_of(second))


async def test_avatar_and_banner_are_independent(
    db: Database, storage: FlakyStorage, user_id: uuid.UUID
) -> None:
    avatar = await replace(db, storage, user_id, jpeg((200, 30, 30)))
    banner = await replace(db, storage, user_id, jpeg((200, 30, 30)), spec=BANNER)

    await remove_profile_image(
        db, storage, RecordingSink(), user_id=user_id, kind="avatar"
    )

    assert await profile_urls(db, user_id) == (None, banner)
    assert not await storage.exists(name_of(avatar))
    assert await storage.exists(name_of(banner))


async def test_users_with_same_image_get_own_files(
    db: Database, storage: FlakyStorage, user_id: uuid.UUID
) -> None:
    other_id = await db.fetch_value(
        users.insert()
        .values(
            username="media_other",
            email="media_other@example.com",
            password_hash="x",
            display_name="o",
        )
        .returning(users.c.id)
    )
    data = jpeg((90, 160, 20))
    mine = await replace(db, storage, user_id, data)
    theirs = await replace(db, storage, other_id, data)

    await remove_profile_image(
        db, storage, RecordingSink(), user_id=user_id, kind="avatar"
    )

    assert mine != theirs
    assert await storage.exists(name_of(theirs))


async def test_failed_store_keeps_previous_image(
    db: Database, storage: FlakyStorage, user_id: uuid.UUID
) -> None:
    first = await replace(db, storage, user_id, jpeg((200, 30, 30)))
    storage.fail_put = True
    events = RecordingSink()

    with pytest.raises(MediaStorageError, match="disk full"):
        await replace(db, storage, user_id, jpeg((30, 30, 200)), events=events)

    assert await profile_urls(db, user_id) == (first, None)
    assert await storage.exists(name_of(first))
    assert events.events == []


async def test_failed_delete_keeps_new_image(
    db: Database,
    storage: FlakyStorage,
    user_id: uuid.UUID,
    caplog: pytest.LogCaptureFixture,
) -> None:
    first = await replace(db, storage, user_id, jpeg((200, 30, 30)))
    storage.fail_delete = True

    with caplog.at_level(logging.WARNING, logger="core.media.service"):
        second = await replace(db, storage, user_id, jpeg((30, 30, 200)))

    assert await profile_urls(db, user_id) == (second, None)
    assert await storage.exists(name_of(second))
    assert await storage.exists(name_of(first))
    assert f"name={name_of(first)}" in caplog.text
    assert f"user_id={user_id}" in caplog.text


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (samples.PHP_SCRIPT, UnsupportedMediaType),
        (b"", InvalidInput),
        (samples.png_header_bomb(9000, 9000), InvalidInput),
    ],
)
async def test_rejected_image_changes_nothing(
    db: Database,
    storage: FlakyStorage,
    user_id: uuid.UUID,
    data: bytes,
    error: type[Exception],
) -> None:
    first = await replace(db, storage, user_id, jpeg((200, 30, 30)))

    with pytest.raises(error):
        await replace(db, storage, user_id, data)

    assert await profile_urls(db, user_id) == (first, None)
    assert [path.name for path in storage.root.iterdir()] == [name_of(first)]


async def test_unknown_user_leaves_no_file(db: Database, storage: FlakyStorage) -> None:
    with pytest.raises(NotFound, match="not found"):
        await replace(db, storage, uuid.uuid4(), jpeg((200, 30, 30)))

    assert list(storage.root.iterdir()) == []


async def test_processing_runs_in_executor(
    db: Database, storage: FlakyStorage, user_id: uuid.UUID
) -> None:
    executor = RecordingExecutor()
    try:
        await replace(db, storage, user_id, jpeg((200, 30, 30)), executor=executor)
    finally:
        executor.shutdown()

    assert len(executor.threads) == 1
    assert executor.threads[0].startswith("test-media")


async def test_foreign_url_is_not_deleted(
    db: Database, storage: FlakyStorage, user_id: uuid.UUID
) -> None:
    # A file whose name does not carry this user's id was not written for them.
    other_name = media_name("avatar", uuid.uuid4(), "b" * 64, "jpg")
    await storage.put(other_name, b"someone else's", "image/jpeg")
    await db.execute(
        users.update()
        .where(users.c.id == user_id)
        .values(avatar_url=storage.url(other_name))
    )

    await replace(db, storage, user_id, jpeg((200, 30, 30)))

    assert await storage.exists(other_name)


async def test_remove_clears_url_and_file(
    db: Database, storage: FlakyStorage, user_id: uuid.UUID
) -> None:
    url = await replace(db, storage, user_id, jpeg((200, 30, 30)), spec=BANNER)
    events = RecordingSink()

    await remove_profile_image(db, storage, events, user_id=user_id, kind="banner")

    assert await profile_urls(db, user_id) == (None, None)
    assert not await storage.exists(name_of(url))
    assert events.events == [UserChanged(user_id=user_id)]


async def test_remove_without_image_is_noop(
    db: Database, storage: FlakyStorage, user_id: uuid.UUID
) -> None:
    events = RecordingSink()

    await remove_profile_image(db, storage, events, user_id=user_id, kind="avatar")

    assert await profile_urls(db, user_id) == (None, None)
    assert events.events == []


async def test_remove_unknown_user(db: Database, storage: FlakyStorage) -> None:
    with pytest.raises(NotFound):
        await remove_profile_image(
            db, storage, RecordingSink(), user_id=uuid.uuid4(), kind="avatar"
        )


def test_stored_name_only_for_own_files() -> None:
    user_id = uuid.uuid4()
    own = media_name("avatar", user_id, "c" * 64, "png")

    assert stored_name(f"http://h/media/{own}", "avatar", user_id) == own
    assert stored_name(f"http://h/media/{own}", "banner", user_id) is None
    assert stored_name(f"http://h/media/{own}", "avatar", uuid.uuid4()) is None
    assert stored_name("https://cdn.example.com/pic.jpg", "avatar", user_id) is None
    assert stored_name(None, "avatar", user_id) is None


async def test_replace_on_s3(
    db: Database, s3_storage: MediaStorage, user_id: uuid.UUID
) -> None:
    first = await replace(db, s3_storage, user_id, jpeg((200, 30, 30)), spec=BANNER)

    second = await replace(db, s3_storage, user_id, jpeg((30, 30, 200)), spec=BANNER)

    assert await profile_urls(db, user_id) == (None, second)
    assert await s3_storage.exists(name_of(second))
    assert not await s3_storage.exists(name_of(first))

    await remove_profile_image(
        db, s3_storage, RecordingSink(), user_id=user_id, kind="banner"
    )

    assert not await s3_storage.exists(name_of(second))
    assert await profile_urls(db, user_id) == (None, None)
