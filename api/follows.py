"""Follow, unfollow, follow status, follower and following lists, followed live streams."""

from __future__ import annotations

from aiohttp import web

from api.auth import require_user
from api.http import empty_response, json_response, parse_body, parse_query
from api.keys import DATABASE, EVENTS
from api.openapi import ApiRoutes
from api.schemas.common import PageQuery, page_envelope
from api.schemas.follows import (
    FollowedLiveList,
    FollowedLiveStream,
    FollowerList,
    FollowingList,
    FollowRequest,
    FollowStatus,
    FollowUser,
)
from api.schemas.streams import Streamer
from core.community import follows
from core.events import UserFollowed

routes = ApiRoutes(tag="follows")

_FOLLOW_PATH = "/api/v1/streams/users/{username}/follow"


@routes.post(
    _FOLLOW_PATH,
    body=FollowRequest,
    response=FollowStatus,
    status=201,
    auth="required",
    responses={
        400: "Already following, or following yourself",
        404: "Unknown username",
    },
)
async def follow_user(request: web.Request) -> web.Response:
    """Follow a user; notifications are on unless the body turns them off."""
    user = await require_user(request)
    # The body is optional: a bare POST follows with notifications on.
    body = (
        await parse_body(request, FollowRequest)
        if request.body_exists
        else FollowRequest()
    )
    result = await follows.follow(
        request.app[DATABASE],
        user.id,
        request.match_info["username"],
        notifications_enabled=body.notifications_enabled,
    )
    await request.app[EVENTS].publish(
        UserFollowed(
            follower_id=result.follower_id,
            followed_id=result.followed_id,
            at=result.followed_at,
        )
    )
    status = FollowStatus(
        following=True,
        notifications_enabled=result.notifications_enabled,
        followed_at=result.followed_at,
    )
    return json_response(status, status=201)


@routes.delete(
    _FOLLOW_PATH,
    status=204,
    auth="required",
    responses={404: "Unknown username, or not following that user"},
)
async def unfollow_user(request: web.Request) -> web.Response:
    """Stop following a user."""
    user = await require_user(request)
    await follows.unfollow(
        request.app[DATABASE], user.id, request.match_info["username"]
    )
    return empty_response()


@routes.get(
    _FOLLOW_PATH,
    response=FollowStatus,
    auth="required",
    responses={404: "Unknown username"},
)
async def get_follow_status(request: web.Request) -> web.Response:
    """Tell whether the caller follows a user."""
    user = await require_user(request)
    status = await follows.follow_status(
        request.app[DATABASE], user.id, request.match_info["username"]
    )
    return json_response(FollowStatus.model_validate(status))


@routes.get(
    "/api/v1/streams/users/{username}/followers",
    query=PageQuery,
    response=FollowerList,
    responses={404: "Unknown username"},
)
async def list_followers(request: web.Request) -> web.Response:
    """List the users following a user, most recent follow first."""
    query = parse_query(request, PageQuery)
    rows, total = await follows.list_followers(
        request.app[DATABASE],
        request.match_info["username"],
        page=query.page,
        per_page=query.per_page,
    )
    items = [FollowUser.model_validate(row) for row in rows]
    return json_response(page_envelope("followers", items, total=total, query=query))


@routes.get(
    "/api/v1/streams/users/{username}/following",
    query=PageQuery,
    response=FollowingList,
    responses={404: "Unknown username"},
)
async def list_following(request: web.Request) -> web.Response:
    """List the users a user follows, most recent follow first."""
    query = parse_query(request, PageQuery)
    rows, total = await follows.list_following(
        request.app[DATABASE],
        request.match_info["username"],
        page=query.page,
        per_page=query.per_page,
    )
    items = [FollowUser.model_validate(row) for row in rows]
    return json_response(page_envelope("following", items, total=total, query=query))


@routes.get(
    "/api/v1/streams/following/live",
    query=PageQuery,
    response=FollowedLiveList,
    auth="required",
)
async def list_followed_live(request: web.Request) -> web.Response:
    """List live streams of the users the caller follows, most viewers first."""
    user = await require_user(request)
    query = parse_query(request, PageQuery)
    rows, total = await follows.list_followed_live_streams(
        request.app[DATABASE], user.id, page=query.page, per_page=query.per_page
    )
    items = []
    for row in rows:
        streamer = Streamer(
            **{name: row[f"streamer_{name}"] for name in Streamer.model_fields}
        )
        fields = {
            name: row[name]
            for name in FollowedLiveStream.model_fields
            if name != "streamer"
        }
        items.append(FollowedLiveStream(**fields, streamer=streamer))
    return json_response(page_envelope("streams", items, total=total, query=query))
