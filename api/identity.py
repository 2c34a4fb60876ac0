"""Registration, login and API-key management under ``/api/v1/auth``."""

from __future__ import annotations

from aiohttp import web

from api.auth import require_user
from api.http import empty_response, json_response, parse_body, path_uuid
from api.keys import DATABASE
from api.openapi import ApiRoutes
from api.schemas.identity import (
    ApiKeyCreateRequest,
    ApiKeyInfo,
    ApiKeyList,
    Credentials,
    LoginRequest,
    NewApiKey,
    RegisterRequest,
    UserPrivate,
)
from core import identity

routes = ApiRoutes(tag="auth")


def _credentials(user: dict, key: str, key_row: dict) -> Credentials:
    return Credentials(
        user=UserPrivate.model_validate(user),
        api_key=key,
        api_key_info=ApiKeyInfo.model_validate(key_row),
    )


@routes.post(
    "/api/v1/auth/register",
    body=RegisterRequest,
    response=Credentials,
    status=201,
    responses={409: "Username or email already taken"},
)
async def register(request: web.Request) -> web.Response:
    """Create an account and return its first API key."""
    body = await parse_body(request, RegisterRequest)
    database = request.app[DATABASE]
    user = await identity.create_user(
        database,
        username=body.username,
        email=body.email,
        password=body.password,
        display_name=body.display_name,
    )
    key, key_row = await identity.issue_api_key(database, user["id"], "registration")
    return json_response(_credentials(user, key, key_row), status=201)


@routes.post(
    "/api/v1/auth/login",
    body=LoginRequest,
    response=Credentials,
    responses={401: "Invalid login or password"},
)
async def login(request: web.Request) -> web.Response:
    """Exchange a username or email and password for a new API key."""
    body = await parse_body(request, LoginRequest)
    database = request.app[DATABASE]
    user = await identity.authenticate_password(database, body.login, body.password)
    key, key_row = await identity.issue_api_key(database, user["id"], "login")
    return json_response(_credentials(user, key, key_row))


@routes.get("/api/v1/auth/me", response=UserPrivate, auth="required")
async def me(request: web.Request) -> web.Response:
    """Return the authenticated user."""
    user = await require_user(request)
    row = await identity.get_user(request.app[DATABASE], user.id)
    return json_response(UserPrivate.model_validate(row))


@routes.get("/api/v1/auth/api-keys", response=ApiKeyList, auth="required")
async def list_api_keys(request: web.Request) -> web.Response:
    """List the caller's API keys (never the keys themselves)."""
    user = await require_user(request)
    rows = await identity.list_api_keys(request.app[DATABASE], user.id)
    return json_response(
        ApiKeyList(api_keys=[ApiKeyInfo.model_validate(row) for row in rows])
    )


@routes.post(
    "/api/v1/auth/api-keys",
    body=ApiKeyCreateRequest,
    response=NewApiKey,
    status=201,
    auth="required",
)
async def create_api_key(request: web.Request) -> web.Response:
    """Issue an additional named API key for the caller."""
    user = await require_user(request)
    body = await parse_body(request, ApiKeyCreateRequest)
    key, key_row = await identity.issue_api_key(
        request.app[DATABASE], user.id, body.name
    )
    return json_response(
        NewApiKey(api_key=key, api_key_info=ApiKeyInfo.model_validate(key_row)),
        status=201,
    )


@routes.delete(
    "/api/v1/auth/api-keys/{key_id}",
    status=204,
    auth="required",
    responses={404: "No such key of yours"},
)
async def revoke_api_key(request: web.Request) -> web.Response:
    """Revoke one of the caller's API keys."""
    user = await require_user(request)
    await identity.revoke_api_key(
        request.app[DATABASE], user.id, path_uuid(request, "key_id")
    )
    return empty_response()
