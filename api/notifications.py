"""The caller's follow notifications: list, unread count and read marks."""

from __future__ import annotations

from aiohttp import web

from api.auth import require_user
from api.http import empty_response, json_response, parse_query, path_uuid
from api.keys import DATABASE
from api.openapi import ApiRoutes
from api.schemas.common import PageQuery, page_envelope
from api.schemas.notifications import (
    MarkAllReadResult,
    Notification,
    NotificationList,
    UnreadCount,
)
from core.community import notifications

routes = ApiRoutes(tag="notifications")

_BASE = "/api/v1/streams/notifications/follows"


@routes.get(_BASE, query=PageQuery, response=NotificationList, auth="required")
async def list_notifications(request: web.Request) -> web.Response:
    """List the caller's notifications, newest first."""
    user = await require_user(request)
    query = parse_query(request, PageQuery)
    items, total = await notifications.list_notifications(
        request.app[DATABASE], user.id, page=query.page, per_page=query.per_page
    )
    models = [Notification.model_validate(item) for item in items]
    return json_response(
        page_envelope("notifications", models, total=total, query=query)
    )


@routes.get(f"{_BASE}/unread-count", response=UnreadCount, auth="required")
async def get_unread_count(request: web.Request) -> web.Response:
    """Count the caller's unread notifications."""
    user = await require_user(request)
    count = await notifications.unread_count(request.app[DATABASE], user.id)
    return json_response(UnreadCount(unread_count=count))


@routes.post(f"{_BASE}/read-all", response=MarkAllReadResult, auth="required")
async def mark_all_read(request: web.Request) -> web.Response:
    """Mark every unread notification of the caller read."""
    user = await require_user(request)
    changed = await notifications.mark_all_read(request.app[DATABASE], user.id)
    return json_response(MarkAllReadResult(marked_read=changed))


@routes.post(
    f"{_BASE}/{{notification_id}}/read",
    status=204,
    auth="required",
    responses={404: "No such notification of the caller"},
)
async def mark_read(request: web.Request) -> web.Response:
    """Mark one of the caller's notifications read."""
    user = await require_user(request)
    notification_id = path_uuid(request, "notification_id")
    await notifications.mark_read(request.app[DATABASE], user.id, notification_id)
    return empty_response()
