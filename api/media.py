"""Avatar and banner uploads, and the files of local media storage.

Uploads are ``multipart/form-data`` with the image in a part named ``file``.
The size limit is enforced while the body arrives: the part is read in chunks
and reading stops as soon as it passes the limit, so a request never makes the
server hold more than the limit plus one chunk.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import BadHttpMessage

from api.auth import require_user
from api.http import empty_response, json_response
from api.keys import DATABASE, EVENTS, MEDIA_EXECUTOR, MEDIA_STORAGE, SETTINGS
from api.openapi import ApiRoutes
from api.schemas.media import AvatarResponse, BannerResponse
from core.errors import (
    FieldError,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from core.media.images import AVATAR, BANNER, ImageSpec
from core.media.service import remove_profile_image, replace_profile_image
from core.media.storage import (
    IMMUTABLE_CACHE_CONTROL,
    LocalStorage,
    content_type_for,
    is_valid_name,
)

logger = logging.getLogger(__name__)

routes = ApiRoutes(tag="media")

PREFIX = "/api/v1/streams/me/profile"

#: Bytes read from the request per step while an upload streams in.
READ_CHUNK_BYTES = 64 * 1024

#: Room for multipart boundaries, part headers and small extra fields on top
#: of the file's own limit when judging a declared Content-Length.
MULTIPART_OVERHEAD_BYTES = 16 * 1024


@dataclass(frozen=True)
class UploadKind:
    spec: ImageSpec
    max_bytes: int
    response_field: str


AVATAR_UPLOAD = UploadKind(AVATAR, 2 * 1024 * 1024, "avatar_url")
BANNER_UPLOAD = UploadKind(BANNER, 5 * 1024 * 1024, "banner_url")

_UPLOAD_ERRORS = {
    413: "The file or the request body is larger than the limit",
    415: "The body is not multipart/form-data, or the file is not a JPEG or PNG",
    422: "No part named file, or the image is empty, corrupt or has too many pixels",
}


async def read_upload(request: web.Request, max_bytes: int) -> bytes:
    """Return the bytes of the ``file`` part, reading at most ``max_bytes`` + one chunk.

    Raises ``PayloadTooLarge`` for a declared or streamed size over the limit,
    ``UnsupportedMediaType`` for a body that is not ``multipart/form-data`` and
    ``InvalidInput`` for a malformed body or a missing ``file`` part.
    """
    body_limit = max_bytes + MULTIPART_OVERHEAD_BYTES
    declared = request.content_length
    if declared is not None and declared > body_limit:
        raise PayloadTooLarge(
            f"request body is {declared} bytes, above the maximum of {body_limit} "
            f"bytes for a file of at most {max_bytes} bytes; upload a smaller image"
        )
    if request.content_type != "multipart/form-data":
        raise UnsupportedMediaType(
            f"request content type is {request.content_type!r}; send "
            "multipart/form-data with the image in a part named file"
        )

    skipped = 0
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if isinstance(part, BodyPartReader) and part.name == "file":
                return await _read_part(part, max_bytes)
            # Other parts are read and dropped, within the same overall budget.
            skipped += await _drain_part(part, body_limit - skipped)
    except (ValueError, BadHttpMessage) as err:
        # aiohttp's multipart reader raises ValueError on a broken body and
        # BadHttpMessage on a part header it cannot parse.
        reason = err.message if isinstance(err, BadHttpMessage) else err
        raise InvalidInput(
            f"multipart body is malformed ({reason}); send multipart/form-data "
            "with the image in a part named file"
        ) from err
    raise InvalidInput(
        "multipart body has no part named file",
        [FieldError("body", "file", "missing: put the image in a part named file")],
    )


async def _read_part(part: BodyPartReader, max_bytes: int) -> bytes:
    data = bytearray()
    while chunk := await part.read_chunk(READ_CHUNK_BYTES):
        data += chunk
        if len(data) > max_bytes:
            raise PayloadTooLarge(
                f"file is larger than the maximum of {max_bytes} bytes; "
                "upload a smaller image"
            )
    return bytes(data)


async def _drain_part(part: object, budget: int) -> int:
    if not isinstance(part, BodyPartReader):
        raise InvalidInput(
            "nested multipart bodies are not accepted; send one file part"
        )
    size = 0
    while chunk := await part.read_chunk(READ_CHUNK_BYTES):
        size += len(chunk)
        if size > budget:
            raise PayloadTooLarge(
                "multipart fields other than file exceed the body budget of "
                f"{budget} bytes; send only the file part"
            )
    return size


async def _upload(request: web.Request, kind: UploadKind) -> web.Response:
    user = await require_user(request)
    data = await read_upload(request, kind.max_bytes)
    url = await replace_profile_image(
        request.app[DATABASE],
        request.app[MEDIA_STORAGE],
        request.app[EVENTS],
        user_id=user.id,
        spec=kind.spec,
        data=data,
        max_pixels=request.app[SETTINGS].media_max_image_pixels,
        executor=request.app[MEDIA_EXECUTOR],
    )
    return json_response({kind.response_field: url})


async def _remove(request: web.Request, kind: UploadKind) -> web.Response:
    user = await require_user(request)
    await remove_profile_image(
        request.app[DATABASE],
        request.app[MEDIA_STORAGE],
        request.app[EVENTS],
        user_id=user.id,
        kind=kind.spec.kind,
    )
    return empty_response()


@routes.post(
    f"{PREFIX}/avatar",
    summary="Upload the avatar: JPEG or PNG, at most 2 MiB, stored as 256x256",
    response=AvatarResponse,
    auth="required",
    content_type="multipart/form-data",
    responses=_UPLOAD_ERRORS,
)
async def upload_avatar(request: web.Request) -> web.Response:
    return await _upload(request, AVATAR_UPLOAD)


@routes.delete(
    f"{PREFIX}/avatar", summary="Remove the avatar", auth="required", status=204
)
async def delete_avatar(request: web.Request) -> web.Response:
    return await _remove(request, AVATAR_UPLOAD)


@routes.post(
    f"{PREFIX}/banner",
    summary="Upload the channel banner: JPEG or PNG, at most 5 MiB, stored as 1920x480",
    response=BannerResponse,
    auth="required",
    content_type="multipart/form-data",
    responses=_UPLOAD_ERRORS,
)
async def upload_banner(request: web.Request) -> web.Response:
    return await _upload(request, BANNER_UPLOAD)


@routes.delete(
    f"{PREFIX}/banner", summary="Remove the channel banner", auth="required", status=204
)
async def delete_banner(request: web.Request) -> web.Response:
    return await _remove(request, BANNER_UPLOAD)


@routes.get(
    "/media/{name}",
    summary="A file of local media storage; never changes, so cacheable for a year",
    auth="none",
    responses={404: "No such file, or media is not stored locally"},
)
async def serve_media(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    storage = request.app[MEDIA_STORAGE]
    # The name pattern allows no slash and no leading dot, so the path stays
    # inside the storage root.
    if not isinstance(storage, LocalStorage) or not is_valid_name(name):
        raise NotFound(f"media file {name!r} not found")
    if not await storage.exists(name):
        raise NotFound(f"media file {name!r} not found")
    return web.FileResponse(
        storage.path(name),
        headers={
            "Content-Type": content_type_for(name),
            "Cache-Control": IMMUTABLE_CACHE_CONTROL,
            "X-Content-Type-Options": "nosniff",
        },
    )
