"""Streams: create, list, read, update, delete, start, end, rotate keys, per-user views.

Routes with a ``{stream_id}`` directly under ``/api/v1/streams/`` match only a
UUID, so they never capture the static paths of other resources there
(``search``, ``trending``, ``me``, ``users``, ...).
"""

from __future__ import annotations

import logging
from uuid import UUID

import orjson
from aiohttp import web

from api.auth import optional_user, require_user
from api.http import (
    STREAM_ID_SEGMENT,
    dumps,
    empty_response,
    json_response,
    parse_query,
    read_json,
    validate,
)
from api.keys import CLOUDFLARE, DATABASE, EVENTS, LISTING_CACHE, REDIS, SETTINGS
from api.openapi import ApiRoutes
from api.schemas.common import page_envelope
from api.schemas.streams import (
    Ingest,
    StreamCreateRequest,
    StreamListQuery,
    StreamListResponse,
    StreamUpdateRequest,
    StreamWithIngestResponse,
    UserLiveResponse,
    UserStreamsQuery,
    live_summary,
    stream_response,
)
from core import idempotency, ratelimit
from core.cache import STREAMS_SCOPE
from core.errors import NotFound
from core.identity import AuthenticatedUser, get_user_by_username
from core.streams import (
    NewStream,
    StreamFilters,
    create_stream,
    delete_stream,
    end_stream_by_owner,
    get_live_stream_of_user,
    get_stream,
    list_public_streams,
    list_user_streams,
    regenerate_stream_key,
    start_stream,
    update_stream,
)

logger = logging.getLogger(__name__)

routes = ApiRoutes(tag="streams")

PREFIX = "/api/v1/streams"
STREAM_ID = STREAM_ID_SEGMENT

_OWNER_ERRORS = {403: "Not the stream's owner", 404: "Stream not found"}


def _stream_id(request: web.Request) -> UUID:
    raw = request.match_info["stream_id"]
    try:
        return UUID(raw)
    except ValueError as error:
        raise NotFound(f"stream {raw!r} not found: ids are UUIDs") from error


def _is_owner(user: AuthenticatedUser | None, owner_id: UUID) -> bool:
    return user is not None and user.id == owner_id


@routes.post(
    f"{PREFIX}/",
    summary="Create a stream and its Cloudflare live input",
    body=StreamCreateRequest,
    response=StreamWithIngestResponse,
    auth="required",
    status=201,
    responses={
        400: "The user already has a live stream",
        409: "A request with this Idempotency-Key is still in progress",
        429: "More than the allowed stream creations per minute",
        502: "Cloudflare failed to provision the live input",
    },
)
async def create(request: web.Request) -> web.Response:
    """Create a stream, honouring ``Idempotency-Key`` and the per-user rate limit."""
    user = await require_user(request)
    settings = request.app[SETTINGS]
    db = request.app[DATABASE]
    rate = await ratelimit.enforce(
        request.app[REDIS],
        settings,
        ratelimit.stream_creation_limit(settings),
        str(user.id),
    )
    headers = rate.headers()

    raw_body = await read_json(request)
    body = validate(StreamCreateRequest, raw_body, "body")

    key = request.headers.get("Idempotency-Key")
    if key is not None:
        fingerprint = idempotency.request_fingerprint(
            request.method, request.path, raw_body
        )
        stored = await idempotency.claim(
            db, user_id=user.id, key=key, fingerprint=fingerprint
        )
        if stored is not None:
            headers["Idempotent-Replayed"] = "true"
            return json_response(stored.body, status=stored.status, headers=headers)

    try:
        row = await create_stream(
            db,
            request.app[CLOUDFLARE],
            request.app[EVENTS],
            user_id=user.id,
            tenant_id=user.tenant_id,
            new_stream=NewStream(
                title=body.title,
                description=body.description,
                category_id=body.category_id,
                thumbnail_url=body.thumbnail_url,
            ),
        )
    except BaseException:
        if key is not None:
            await idempotency.release(db, user_id=user.id, key=key)
        raise

    payload = stream_response(row, include_ingest=True)
    if key is not None:
        await idempotency.complete(
            db, user_id=user.id, key=key, status=201, body=orjson.loads(dumps(payload))
        )
    return json_response(payload, status=201, headers=headers)


@routes.get(
    f"{PREFIX}/",
    summary="List live streams by viewers, then ended streams newest first",
    query=StreamListQuery,
    response=StreamListResponse,
    auth="optional",
)
async def list_streams(request: web.Request) -> web.Response:
    """List public streams. Offline streams are never part of this listing."""
    # The result is the same for everyone, but a key that was sent must be valid.
    await optional_user(request)
    query = parse_query(request, StreamListQuery)
    filters = StreamFilters(
        status=query.status_filter,
        category_id=query.category_id,
        user_id=query.user_id,
        tenant_id=query.tenant_id,
        search=query.search,
    )

    async def build() -> bytes:
        page = await list_public_streams(
            request.app[DATABASE], filters, offset=query.offset, limit=query.per_page
        )
        items = [stream_response(row, include_ingest=False) for row in page.rows]
        return dumps(page_envelope("streams", items, total=page.total, query=query))

    body = await request.app[LISTING_CACHE].get_or_build(
        STREAMS_SCOPE, query.model_dump(mode="json"), build
    )
    return web.Response(body=body, content_type="application/json")


@routes.get(
    f"{PREFIX}/id/{STREAM_ID}",
    summary="Get a stream, with ingest credentials for its owner",
    response=StreamWithIngestResponse,
    auth="optional",
    responses={404: "Stream not found"},
)
async def details(request: web.Request) -> web.Response:
    """Return one stream. Offline streams are visible to their owner only."""
    stream_id = _stream_id(request)
    user = await optional_user(request)
    row = await get_stream(request.app[DATABASE], stream_id)
    if row is None:
        raise NotFound(f"stream {stream_id} not found")
    owner = _is_owner(user, row["user_id"])
    if row["status"] == "offline" and not owner:
        raise NotFound(f"stream {stream_id} not found")
    return json_response(stream_response(row, include_ingest=owner))


@routes.patch(
    f"{PREFIX}/id/{STREAM_ID}",
    summary="Update a stream's title, description, category or thumbnail",
    body=StreamUpdateRequest,
    response=StreamWithIngestResponse,
    auth="required",
    responses=_OWNER_ERRORS,
)
@routes.put(
    f"{PREFIX}/id/{STREAM_ID}",
    summary="Update a stream (same partial semantics as PATCH)",
    body=StreamUpdateRequest,
    response=StreamWithIngestResponse,
    auth="required",
    responses=_OWNER_ERRORS,
)
async def update(request: web.Request) -> web.Response:
    """Change the fields sent. Omitted fields stay as they are."""
    user = await require_user(request)
    stream_id = _stream_id(request)
    body = validate(StreamUpdateRequest, await read_json(request), "body")
    row = await update_stream(
        request.app[DATABASE],
        request.app[EVENTS],
        stream_id=stream_id,
        user_id=user.id,
        changes=body.changes(),
    )
    return json_response(stream_response(row, include_ingest=True))


@routes.delete(
    f"{PREFIX}/id/{STREAM_ID}",
    summary="Delete a stream and its Cloudflare live input",
    auth="required",
    status=204,
    responses=_OWNER_ERRORS,
)
async def delete(request: web.Request) -> web.Response:
    """Delete the stream. A Cloudflare outage queues the live input's deletion."""
    user = await require_user(request)
    await delete_stream(
        request.app[DATABASE],
        request.app[CLOUDFLARE],
        request.app[EVENTS],
        stream_id=_stream_id(request),
        user_id=user.id,
    )
    return empty_response()


@routes.post(
    f"{PREFIX}/id/{STREAM_ID}/start",
    summary="Make an offline stream live by hand",
    response=StreamWithIngestResponse,
    auth="required",
    responses={
        **_OWNER_ERRORS,
        400: "The stream is live or ended, or another stream is live",
    },
)
async def start(request: web.Request) -> web.Response:
    """Start the stream. Ended streams cannot be restarted."""
    user = await require_user(request)
    row = await start_stream(
        request.app[DATABASE],
        request.app[EVENTS],
        stream_id=_stream_id(request),
        user_id=user.id,
    )
    return json_response(stream_response(row, include_ingest=True))


_END_SPEC = {
    "summary": "End a stream and disable its live input",
    "response": StreamWithIngestResponse,
    "auth": "required",
    "responses": {**_OWNER_ERRORS, 400: "The stream has already ended"},
}


@routes.post(f"{PREFIX}/{STREAM_ID}/end", **_END_SPEC)
@routes.post(f"{PREFIX}/id/{STREAM_ID}/end", **_END_SPEC)
async def end(request: web.Request) -> web.Response:
    """End the stream by hand."""
    user = await require_user(request)
    row = await end_stream_by_owner(
        request.app[DATABASE],
        request.app[CLOUDFLARE],
        request.app[EVENTS],
        stream_id=_stream_id(request),
        user_id=user.id,
    )
    return json_response(stream_response(row, include_ingest=True))


_REGENERATE_SPEC = {
    "summary": "Rotate the stream key at Cloudflare, which revokes the old key",
    "response": Ingest,
    "auth": "required",
    "responses": {
        **_OWNER_ERRORS,
        409: "Another key rotation of the stream is running",
        502: "Cloudflare failed to rotate the keys",
    },
}


@routes.post(f"{PREFIX}/{STREAM_ID}/regenerate-key", **_REGENERATE_SPEC)
@routes.post(f"{PREFIX}/id/{STREAM_ID}/regenerate-key", **_REGENERATE_SPEC)
async def regenerate_key(request: web.Request) -> web.Response:
    """Return new RTMPS credentials for the stream."""
    user = await require_user(request)
    credentials = await regenerate_stream_key(
        request.app[DATABASE],
        request.app[CLOUDFLARE],
        stream_id=_stream_id(request),
        user_id=user.id,
    )
    return json_response(
        Ingest(rtmps_url=credentials.rtmps_url, stream_key=credentials.stream_key)
    )


async def _user_by_username(request: web.Request) -> dict:
    return await get_user_by_username(
        request.app[DATABASE], request.match_info["username"]
    )


@routes.get(
    f"{PREFIX}/users/{{username}}/streams",
    summary="List a user's streams, newest first",
    query=UserStreamsQuery,
    response=StreamListResponse,
    auth="optional",
    responses={404: "User not found"},
)
async def user_streams(request: web.Request) -> web.Response:
    """List a user's streams, including offline ones when the requester is that user."""
    viewer = await optional_user(request)
    owner = await _user_by_username(request)
    query = parse_query(request, UserStreamsQuery)
    page = await list_user_streams(
        request.app[DATABASE],
        owner["id"],
        status=query.status_filter,
        include_offline=_is_owner(viewer, owner["id"]),
        offset=query.offset,
        limit=query.per_page,
    )
    items = [stream_response(row, include_ingest=False) for row in page.rows]
    return json_response(page_envelope("streams", items, total=page.total, query=query))


@routes.get(
    f"{PREFIX}/users/{{username}}/live",
    summary="Tell whether a user is live now",
    response=UserLiveResponse,
    responses={404: "User not found"},
)
async def user_live(request: web.Request) -> web.Response:
    """Return ``is_live`` and the live stream, or ``is_live: false`` with no stream."""
    owner = await _user_by_username(request)
    row = await get_live_stream_of_user(request.app[DATABASE], owner["id"])
    if row is None:
        return json_response(UserLiveResponse(is_live=False, stream=None))
    return json_response(UserLiveResponse(is_live=True, stream=live_summary(row)))
