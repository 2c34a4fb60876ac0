"""Bearer API-key authentication for handlers."""

from __future__ import annotations

from aiohttp import web

from api.keys import DATABASE
from core.errors import AuthenticationFailed
from core.identity import AuthenticatedUser, resolve_api_key

_AUTH_USER = web.RequestKey("auth_user", AuthenticatedUser)


def _bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed(
            "malformed Authorization header: send 'Authorization: Bearer <api key>'"
        )
    return token.strip()


async def optional_user(request: web.Request) -> AuthenticatedUser | None:
    """Return the caller if a key was sent; a key that was sent but is invalid is 401."""
    if _AUTH_USER in request:
        return request[_AUTH_USER]
    token = _bearer_token(request)
    if token is None:
        return None
    user = await resolve_api_key(request.app[DATABASE], token)
    request[_AUTH_USER] = user
    return user


async def require_user(request: web.Request) -> AuthenticatedUser:
    user = await optional_user(request)
    if user is None:
        raise AuthenticationFailed(
            "authentication required: send 'Authorization: Bearer <api key>'"
        )
    return user
