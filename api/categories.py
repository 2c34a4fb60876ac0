"""Categories that streams are browsed under."""

from __future__ import annotations

from aiohttp import web

from api.auth import require_user
from api.http import json_response, parse_body, parse_query
from api.keys import DATABASE
from api.openapi import ApiRoutes
from api.schemas.common import PageQuery, page_envelope
from api.schemas.identity import Category, CategoryCreateRequest, CategoryList
from core import identity
from core.errors import PermissionDenied

routes = ApiRoutes(tag="categories")


@routes.get("/api/v1/categories", query=PageQuery, response=CategoryList)
async def list_categories(request: web.Request) -> web.Response:
    """List categories by name."""
    query = parse_query(request, PageQuery)
    rows, total = await identity.list_categories(
        request.app[DATABASE], limit=query.per_page, offset=query.offset
    )
    items = [Category.model_validate(row) for row in rows]
    return json_response(page_envelope("categories", items, total=total, query=query))


@routes.post(
    "/api/v1/categories",
    body=CategoryCreateRequest,
    response=Category,
    status=201,
    auth="required",
    responses={
        403: "Only administrators create categories",
        409: "Name already exists",
    },
)
async def create_category(request: web.Request) -> web.Response:
    """Create a category (administrators only)."""
    user = await require_user(request)
    if not user.is_admin:
        raise PermissionDenied("only administrators can create categories")
    body = await parse_body(request, CategoryCreateRequest)
    row = await identity.create_category(request.app[DATABASE], body.name)
    return json_response(Category.model_validate(row), status=201)
