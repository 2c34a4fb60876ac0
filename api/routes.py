"""Every resource module's routes, in registration order.

Static paths under ``/api/v1/streams/`` (search, trending, me, users, ...)
must not be captured by ``{stream_id}`` routes; those use a UUID pattern.
"""

from __future__ import annotations

from aiohttp import web

from api import categories, discovery, identity, streams
from api import search as search_api
from api import chat, follows, moderators, notifications, profiles, schedule
from api import media
from api.openapi import ApiRoutes
from webhooks import receiver as webhook_receiver

ROUTE_TABLES: list[ApiRoutes] = [
    identity.routes,
    categories.routes,
    streams.routes,
    webhook_receiver.routes,
    media.routes,
    search_api.routes,
    follows.routes,
    notifications.routes,
    profiles.routes,
    moderators.routes,
    schedule.routes,
    chat.routes,
    discovery.routes,
]


def register_routes(app: web.Application) -> None:
    for table in ROUTE_TABLES:
        table.register(app)
