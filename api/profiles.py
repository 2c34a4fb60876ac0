"""Streamer profiles (public, own, update) and the basic user profile."""

from __future__ import annotations

from aiohttp import web

from api.auth import require_user
from api.http import json_response, parse_body
from api.keys import DATABASE, EVENTS
from api.openapi import ApiRoutes
from api.schemas.profiles import (
    OwnStreamerProfile,
    ProfileUpdateRequest,
    StreamerProfile,
    UserProfile,
)
from core.community import profiles
from core.events import UserChanged

routes = ApiRoutes(tag="profiles")


@routes.get(
    "/api/v1/streams/streamers/{username}/profile",
    response=StreamerProfile,
    responses={404: "Unknown username"},
)
async def get_streamer_profile(request: web.Request) -> web.Response:
    """Get a streamer's public profile with live status."""
    profile = await profiles.get_streamer_profile(
        request.app[DATABASE], request.match_info["username"]
    )
    return json_response(StreamerProfile.model_validate(profile))


@routes.get("/api/v1/streams/me/profile", response=OwnStreamerProfile, auth="required")
async def get_own_profile(request: web.Request) -> web.Response:
    """Get the caller's streamer profile, private fields included."""
    user = await require_user(request)
    profile = await profiles.get_own_profile(request.app[DATABASE], user.id)
    return json_response(OwnStreamerProfile.model_validate(profile))


@routes.patch(
    "/api/v1/streams/me/profile",
    body=ProfileUpdateRequest,
    response=OwnStreamerProfile,
    auth="required",
    responses={422: "Invalid field, social link or URL; the error names the field"},
)
async def update_own_profile(request: web.Request) -> web.Response:
    """Update the caller's streamer profile."""
    user = await require_user(request)
    body = await parse_body(request, ProfileUpdateRequest)
    profile, changed = await profiles.update_profile(
        request.app[DATABASE], user.id, body.changes()
    )
    if changed:
        await request.app[EVENTS].publish(UserChanged(user_id=user.id))
    return json_response(OwnStreamerProfile.model_validate(profile))


@routes.get(
    "/api/v1/streams/users/{username}/profile",
    response=UserProfile,
    responses={404: "Unknown username"},
)
async def get_user_profile(request: web.Request) -> web.Response:
    """Get a user's basic profile: counters, total views and live status."""
    profile = await profiles.get_user_profile(
        request.app[DATABASE], request.match_info["username"]
    )
    return json_response(UserProfile.model_validate(profile))
