from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa
from aiohttp import web
from aiohttp.test_utils import TestClient
from PIL import Image, ImageDraw

from api.media import (
    AVATAR_UPLOAD,
    BANNER_UPLOAD,
    MULTIPART_OVERHEAD_BYTES,
    READ_CHUNK_BYTES,
)
from core.db import Database
from core.events import RecordingSink, UserChanged
from core.settings import Settings
from core.tables import users
from tests.core.media import samples

AVATAR_PATH = "/api/v1/streams/me/profile/avatar"
BANNER_PATH = "/api/v1/streams/me/profile/banner"
IMMUTABLE = "public, max-age=31536000, immutable"

UserFactory = Callable[..., Awaitable[tuple[dict, str]]]

#: Bytes the server may take off the socket beyond what the handler reads:
#: aiohttp's request stream buffers up to twice its 64 KiB limit before it
#: pauses the transport, plus one socket read.
STREAM_BUFFER_BYTES = 4 * 64 * 1024


def form(
    data: bytes, *, filename: str = "picture.jpg", content_type: str = "image/jpeg"
) -> aiohttp.FormData:
    payload = aiohttp.FormData()
    payload.add_field("file", data, filename=filename, content_type=content_type)
    return payload


def photo_jpeg(width: int = 800, height: int = 600) -> bytes:
    return samples.encode(samples.photo(width, height), "JPEG", quality=90)


def media_path(url: str) -> str:
    path = url.split("://", 1)[1].partition("/")[2]
    return f"/{path}"


async def stored_urls(db: Database, user_id: Any) -> tuple[str | None, str | None]:
    row = await db.fetch_one(
        sa.select(users.c.avatar_url, users.c.banner_url).where(users.c.id == user_id)
    )
    assert row is not None
    return row["avatar_url"], row["banner_url"]


@pytest.fixture
def body_sizes(app: web.Application) -> list[int]:
    """Bytes of request body the server had received when each handler returned.

    Request this fixture before ``client``, which starts and so freezes the app.
    """
    sizes: list[int] = []

    @web.middleware
    async def record_body_size(
        request: web.Request, handler: Any
    ) -> web.StreamResponse:
        try:
            return await handler(request)
        finally:
            sizes.append(request.content.total_bytes)

    app.middlewares.insert(0, record_body_size)
    return sizes


async def test_avatar_upload_and_serve(
    client: TestClient,
    make_user: UserFactory,
    auth: Any,
    db: Database,
    settings: Settings,
    events: RecordingSink,
) -> None:
    user, key = await make_user()

    response = await client.post(
        AVATAR_PATH, data=form(photo_jpeg()), headers=auth(key)
    )

    assert response.status == 200, await response.text()
    body = await response.json()
    url = body["avatar_url"]
    assert set(body) == {"avatar_url"}
    assert url.startswith(
        f"{settings.effective_public_base_url}/media/avatar-{user['id'].hex}-"
    )
    assert await stored_urls(db, user["id"]) == (url, None)
    assert UserChanged(user_id=user["id"]) in events.events

    served = await client.get(media_path(url))
    assert served.status == 200
    assert served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["Cache-Control"] == IMMUTABLE
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(await served.read())) as image:
        assert image.format == "JPEG"
        assert image.size == (256, 256)

    head = await client.head(media_path(url))
    assert head.status == 200
    assert head.headers["Content-Type"] == "image/jpeg"
    assert head.headers["Cache-Control"] == IMMUTABLE


async def test_banner_png_with_transparency(
    client: TestClient, make_user: UserFactory, auth: Any
) -> None:
    _, key = await make_user()
    source = Image.new("RGBA", (1200, 400), (0, 0, 0, 0))
    ImageDraw.Draw(source).rectangle((600, 0, 1199, 399), fill=(0, 0, 255, 255))

    response = await client.post(
        BANNER_PATH,
        data=form(
            samples.encode(source, "PNG"), filename="b.png", content_type="image/png"
        ),
        headers=auth(key),
    )

    assert response.status == 200, await response.text()
    url = (await response.json())["banner_url"]
    assert url.endswith(".png")
    served = await client.get(media_path(url))
    assert served.headers["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(await served.read())) as image:
        assert image.size == (1920, 480)
        assert image.mode == "RGBA"
        assert image.getpixel((100, 240))[3] == 0
        assert image.getpixel((1800, 240)) == (0, 0, 255, 255)


async def test_replace_removes_old_file(
    client: TestClient,
    make_user: UserFactory,
    auth: Any,
    settings: Settings,
    db: Database,
) -> None:
    user, key = await make_user()
    first = await client.post(
        AVATAR_PATH, data=form(photo_jpeg(800, 600)), headers=auth(key)
    )
    first_url = (await first.json())["avatar_url"]
    first_file = settings.media_root / first_url.rpartition("/")[2]
    assert first_file.is_file()

    second = await client.post(
        AVATAR_PATH, data=form(photo_jpeg(640, 480)), headers=auth(key)
    )

    assert second.status == 200
    second_url = (await second.json())["avatar_url"]
    assert second_url != first_url
    assert not first_file.exists()
    assert (await client.get(media_path(first_url))).status == 404
    assert (await client.get(media_path(second_url))).status == 200
    assert await stored_urls(db, user["id"]) == (second_url, None)


async def test_delete_clears_url_and_file(
    client: TestClient, make_user: UserFactory, auth: Any, db: Database
) -> None:
    user, key = await make_user()
    uploaded = await client.post(
        BANNER_PATH, data=form(photo_jpeg()), headers=auth(key)
    )
    url = (await uploaded.json())["banner_url"]

    response = await client.delete(BANNER_PATH, headers=auth(key))

    assert response.status == 204
    assert await stored_urls(db, user["id"]) == (None, None)
    assert (await client.get(media_path(url))).status == 404
    again = await client.delete(BANNER_PATH, headers=auth(key))
    assert again.status == 204


@pytest.mark.parametrize("method", ["POST", "DELETE"])
@pytest.mark.parametrize("path", [AVATAR_PATH, BANNER_PATH])
async def test_upload_requires_auth(client: TestClient, method: str, path: str) -> None:
    response = await client.request(method, path, data=form(photo_jpeg()))

    assert response.status == 401


@pytest.mark.parametrize(
    ("data", "filename", "status", "detail"),
    [
        (samples.PHP_SCRIPT, "a.jpg", 415, "PHP script"),
        (samples.SVG_IMAGE, "a.png", 415, "SVG image"),
        (samples.encode(Image.new("RGB", (32, 32)), "GIF"), "a.jpg", 415, "GIF image"),
        (b"", "a.jpg", 422, "file is empty"),
        (samples.png_header_bomb(20_000, 20_000), "a.png", 422, "above the maximum"),
    ],
)
async def test_upload_rejects_impostor(
    client: TestClient,
    make_user: UserFactory,
    auth: Any,
    data: bytes,
    filename: str,
    status: int,
    detail: str,
) -> None:
    _, key = await make_user()

    response = await client.post(
        AVATAR_PATH, data=form(data, filename=filename), headers=auth(key)
    )

    assert response.status == status
    assert response.content_type == "application/problem+json"
    problem = await response.json()
    assert detail in problem["detail"]


async def test_upload_rejects_webp(
    client: TestClient, make_user: UserFactory, auth: Any
) -> None:
    from PIL import features

    if not features.check("webp"):
        pytest.skip("Pillow built without WebP")
    _, key = await make_user()
    data = samples.encode(Image.new("RGB", (32, 32)), "WEBP")

    response = await client.post(AVATAR_PATH, data=form(data), headers=auth(key))

    assert response.status == 415
    assert "WebP image" in (await response.json())["detail"]


async def test_upload_rejects_truncated_jpeg(
    client: TestClient, make_user: UserFactory, auth: Any
) -> None:
    _, key = await make_user()
    data = photo_jpeg()

    response = await client.post(
        AVATAR_PATH, data=form(data[: len(data) // 2]), headers=auth(key)
    )

    assert response.status == 422
    assert "truncated or corrupt" in (await response.json())["detail"]


async def test_upload_requires_multipart(
    client: TestClient, make_user: UserFactory, auth: Any
) -> None:
    _, key = await make_user()

    response = await client.post(
        AVATAR_PATH,
        data=photo_jpeg(),
        headers={**auth(key), "Content-Type": "image/jpeg"},
    )

    assert response.status == 415
    assert "multipart/form-data" in (await response.json())["detail"]


async def test_upload_with_invalid_part_header_is_422(
    client: TestClient, make_user: UserFactory, auth: Any
) -> None:
    _, key = await make_user()
    # A control character in a part header breaks HTTP header syntax.
    body = (
        b"--xyz\r\n"
        b'Content-Disposition: form-data; name="\x01file"\r\n'
        b"\r\n"
        b"abc\r\n"
        b"--xyz--\r\n"
    )

    response = await client.post(
        AVATAR_PATH,
        data=body,
        headers={**auth(key), "Content-Type": "multipart/form-data; boundary=xyz"},
    )

    assert response.status == 422, await response.text()
    assert "multipart body is malformed" in (await response.json())["detail"]


async def test_upload_requires_file_part(
    client: TestClient, make_user: UserFactory, auth: Any
) -> None:
    _, key = await make_user()
    payload = aiohttp.FormData()
    payload.add_field(
        "image", photo_jpeg(), filename="a.jpg", content_type="image/jpeg"
    )

    response = await client.post(AVATAR_PATH, data=payload, headers=auth(key))

    assert response.status == 422
    problem = await response.json()
    assert problem["errors"][0]["field"] == "file"


async def test_other_fields_before_file_are_skipped(
    client: TestClient, make_user: UserFactory, auth: Any
) -> None:
    _, key = await make_user()
    payload = aiohttp.FormData()
    payload.add_field("note", "hello")
    payload.add_field("file", photo_jpeg(), filename="a.jpg", content_type="image/jpeg")

    response = await client.post(AVATAR_PATH, data=payload, headers=auth(key))

    assert response.status == 200


def padded_jpeg(size: int) -> bytes:
    """A valid JPEG of exactly ``size`` bytes: decoders ignore bytes after EOI."""
    data = photo_jpeg(600, 600)
    assert len(data) <= size
    return data + b"\x00" * (size - len(data))


@pytest.mark.parametrize(
    ("path", "kind"), [(AVATAR_PATH, AVATAR_UPLOAD), (BANNER_PATH, BANNER_UPLOAD)]
)
async def test_size_limit_is_exact(
    client: TestClient, make_user: UserFactory, auth: Any, path: str, kind: Any
) -> None:
    _, key = await make_user()

    at_limit = await client.post(
        path, data=form(padded_jpeg(kind.max_bytes)), headers=auth(key)
    )
    over_limit = await client.post(
        path, data=form(padded_jpeg(kind.max_bytes + 1)), headers=auth(key)
    )

    assert at_limit.status == 200, await at_limit.text()
    assert over_limit.status == 413
    assert f"maximum of {kind.max_bytes} bytes" in (await over_limit.json())["detail"]


async def test_declared_length_refused_before_reading(
    client: TestClient, make_user: UserFactory, auth: Any
) -> None:
    # Send only the headers of a 3 MB request: a server that waited for the
    # body would never respond.
    _, key = await make_user()
    host, port = client.server.host, client.server.port
    reader, writer = await asyncio.open_connection(host, port)
    request = (
        f"POST {AVATAR_PATH} HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        f"Authorization: Bearer {key}\r\n"
        "Content-Type: multipart/form-data; boundary=xyz\r\n"
        "Content-Length: 3000000\r\n"
        "\r\n"
    )
    writer.write(request.encode())
    await writer.drain()
    try:
        status_line = await asyncio.wait_for(reader.readline(), timeout=10)
    finally:
        writer.close()

    assert status_line.startswith(b"HTTP/1.1 413"), status_line


async def test_streamed_oversize_body_stops_early(
    body_sizes: list[int],
    client: TestClient,
    make_user: UserFactory,
    auth: Any,
    settings: Settings,
) -> None:
    _, key = await make_user()
    boundary = "streamed-upload-boundary"
    total = 50 * 1024 * 1024
    chunk = b"\xff" * (64 * 1024)

    async def body() -> AsyncIterator[bytes]:
        yield (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="big.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        for _ in range(total // len(chunk)):
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    response = await client.post(
        AVATAR_PATH,
        data=body(),
        headers={
            **auth(key),
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )

    assert response.status == 413
    assert "Content-Length" not in response.request_info.headers
    assert response.request_info.headers["Transfer-Encoding"] == "chunked"
    assert len(body_sizes) == 1
    limit = AVATAR_UPLOAD.max_bytes
    assert body_sizes[0] > limit
    assert (
        body_sizes[0]
        <= limit + READ_CHUNK_BYTES + MULTIPART_OVERHEAD_BYTES + STREAM_BUFFER_BYTES
    )
    stored = list(settings.media_root.iterdir()) if settings.media_root.exists() else []
    assert stored == []


@pytest.mark.parametrize(
    "path",
    [
        "/media/..%2F..%2Fsecret.txt",
        "/media/%2e%2e%2fsecret.txt",
        "/media/.upload-secret",
        "/media/..",
        "/media/secret.txt%00.jpg",
    ],
)
async def test_media_refuses_path_traversal(
    client: TestClient, settings: Settings, path: str
) -> None:
    settings.media_root.mkdir(parents=True, exist_ok=True)
    (settings.media_root.parent / "secret.txt").write_text("do not serve")
    (settings.media_root / ".upload-secret").write_text("do not serve")

    response = await client.get(path)

    assert response.status == 404
    assert "do not serve" not in await response.text()


async def test_media_missing_file_is_404(client: TestClient) -> None:
    response = await client.get("/media/avatar-" + "0" * 32 + "-" + "1" * 64 + ".jpg")

    assert response.status == 404
    assert response.content_type == "application/problem+json"
