"""Moderators and VIPs of a stream's channel, and a user's badges in a stream."""

from __future__ import annotations

from aiohttp import web

from api.auth import require_user
from api.http import (
    STREAM_ID_SEGMENT,
    empty_response,
    json_response,
    parse_body,
    parse_query,
    path_uuid,
)
from api.keys import DATABASE
from api.openapi import ApiRoutes
from api.schemas.common import page_envelope
from api.schemas.moderators import (
    ChannelRole,
    ChannelRoleList,
    RoleGrantRequest,
    RoleListQuery,
    RoleQuery,
    UserBadges,
)
from core.community import roles

routes = ApiRoutes(tag="moderators")

STREAM_PATH = f"/api/v1/streams/{STREAM_ID_SEGMENT}"


@routes.post(
    f"{STREAM_PATH}/moderators",
    body=RoleGrantRequest,
    response=ChannelRole,
    status=201,
    auth="required",
    responses={
        400: "The user already holds the badge, or is the broadcaster",
        403: "Only the broadcaster manages moderators and VIPs",
        404: "Unknown stream or user",
    },
)
async def add_moderator(request: web.Request) -> web.Response:
    """Grant a user the moderator or VIP badge in the stream's channel."""
    user = await require_user(request)
    stream_id = path_uuid(request, "stream_id")
    body = await parse_body(request, RoleGrantRequest)
    row = await roles.add_role(
        request.app[DATABASE], stream_id, user.id, body.user_id, body.badge_type
    )
    return json_response(ChannelRole.model_validate(row), status=201)


@routes.delete(
    f"{STREAM_PATH}/moderators/{{user_id}}",
    query=RoleQuery,
    status=204,
    auth="required",
    responses={
        403: "Only the broadcaster manages moderators and VIPs",
        404: "Unknown stream, or no such badge",
    },
)
async def remove_moderator(request: web.Request) -> web.Response:
    """Revoke the moderator or VIP badge; without ``badge_type`` both are revoked."""
    user = await require_user(request)
    stream_id = path_uuid(request, "stream_id")
    user_id = path_uuid(request, "user_id")
    query = parse_query(request, RoleQuery)
    await roles.remove_role(
        request.app[DATABASE], stream_id, user.id, user_id, query.badge_type
    )
    return empty_response()


@routes.get(
    f"{STREAM_PATH}/moderators",
    query=RoleListQuery,
    response=ChannelRoleList,
    responses={404: "Unknown stream"},
)
async def list_moderators(request: web.Request) -> web.Response:
    """List the moderators and VIPs of the stream's channel, oldest grant first."""
    stream_id = path_uuid(request, "stream_id")
    query = parse_query(request, RoleListQuery)
    rows, total = await roles.list_roles(
        request.app[DATABASE],
        stream_id,
        query.badge_type,
        page=query.page,
        per_page=query.per_page,
    )
    items = [ChannelRole.model_validate(row) for row in rows]
    return json_response(page_envelope("moderators", items, total=total, query=query))


@routes.get(
    f"{STREAM_PATH}/users/{{user_id}}/badges",
    response=UserBadges,
    responses={404: "Unknown stream or user"},
)
async def get_user_badges(request: web.Request) -> web.Response:
    """Get the badges a user has in the stream's context."""
    stream_id = path_uuid(request, "stream_id")
    user_id = path_uuid(request, "user_id")
    badges = await roles.user_badges(request.app[DATABASE], stream_id, user_id)
    return json_response(
        UserBadges(stream_id=stream_id, user_id=user_id, badges=badges)
    )
