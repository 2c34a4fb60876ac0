"""Stream search, autocomplete suggestions and popular and trending search terms.

The paths are static (``/api/v1/streams/search...``); stream routes take only
a UUID as ``{stream_id}``, so they never capture these.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from api.http import json_response, parse_query
from api.keys import DATABASE, HTTP_SESSION, SETTINGS
from api.openapi import ApiRoutes
from api.schemas.search import (
    PopularTermsQuery,
    PopularTermsResponse,
    StreamSearchQuery,
    StreamSearchResponse,
    SuggestionsQuery,
    SuggestionsResponse,
    TrendingTermsQuery,
    TrendingTermsResponse,
)
from search_index.interfaces import SearchTerm
from search_index.service import SearchService, open_search_service

SEARCH_SERVICE = web.AppKey("search_service", SearchService)


async def search_ctx(app: web.Application) -> AsyncIterator[None]:
    """Open the search service once the database and HTTP session exist."""
    app[SEARCH_SERVICE] = await open_search_service(
        app[SETTINGS], app[DATABASE], app[HTTP_SESSION]
    )
    yield


class SearchRoutes(ApiRoutes):
    """Route table that also opens the search service with the application."""

    def register(self, app: web.Application) -> None:
        super().register(app)
        app.cleanup_ctx.append(search_ctx)


routes = SearchRoutes(tag="search")

PREFIX = "/api/v1/streams/search"


@routes.get(PREFIX, query=StreamSearchQuery, response=StreamSearchResponse)
async def search_streams(request: web.Request) -> web.Response:
    """Search streams: live first, then relevance, then most recent."""
    query = parse_query(request, StreamSearchQuery)
    page = await request.app[SEARCH_SERVICE].search_streams(query.to_stream_query())
    offset = (query.page - 1) * query.per_page
    body = {
        "streams": page.cards,
        "total": page.total,
        "page": query.page,
        "per_page": query.per_page,
        "has_more": offset + len(page.cards) < page.total,
        "query": query.query,
    }
    return json_response(body)


@routes.get(
    f"{PREFIX}/suggestions", query=SuggestionsQuery, response=SuggestionsResponse
)
async def search_suggestions(request: web.Request) -> web.Response:
    """Complete a partial query from live stream titles, streamer names and categories."""
    query = parse_query(request, SuggestionsQuery)
    suggestions = await request.app[SEARCH_SERVICE].suggest(query.query, query.limit)
    items = [
        {"text": item.text, "type": item.kind, "id": item.id} for item in suggestions
    ]
    return json_response({"suggestions": items, "query": query.query})


def _term_items(terms: list[SearchTerm]) -> list[dict[str, object]]:
    return [
        {"term": item.term, "score": item.score, "streams": item.sources}
        for item in terms
    ]


@routes.get(f"{PREFIX}/popular", query=PopularTermsQuery, response=PopularTermsResponse)
async def popular_terms(request: web.Request) -> web.Response:
    """Popular search terms from live streams with many viewers and popular categories."""
    query = parse_query(request, PopularTermsQuery)
    terms = await request.app[SEARCH_SERVICE].popular_terms(query.limit)
    return json_response({"terms": _term_items(terms), "limit": query.limit})


@routes.get(
    f"{PREFIX}/trending", query=TrendingTermsQuery, response=TrendingTermsResponse
)
async def trending_terms(request: web.Request) -> web.Response:
    """Trending search terms from streams started within the last ``hours``."""
    query = parse_query(request, TrendingTermsQuery)
    terms = await request.app[SEARCH_SERVICE].trending_terms(query.hours, query.limit)
    return json_response(
        {"terms": _term_items(terms), "hours": query.hours, "limit": query.limit}
    )
