"""Trending streams and rising streamers, read from the rankings the workers keep."""

from __future__ import annotations

from aiohttp import web

from api.http import json_response, parse_query
from api.keys import DATABASE, REDIS, SETTINGS
from api.openapi import ApiRoutes
from api.schemas.discovery import (
    RisingQuery,
    RisingResponse,
    RisingStream,
    TrendingQuery,
    TrendingResponse,
    TrendingStream,
)
from api.schemas.streams import stream_response
from core.discovery import rising_streams, trending_streams

routes = ApiRoutes(tag="streams")


@routes.get(
    "/api/v1/streams/trending",
    summary="Trending live streams with a score from 0 to 100",
    query=TrendingQuery,
    response=TrendingResponse,
)
async def list_trending(request: web.Request) -> web.Response:
    """List live streams by trending score, recomputed every TRENDING_INTERVAL_SECONDS."""
    query = parse_query(request, TrendingQuery)
    ranked, total = await trending_streams(
        request.app[DATABASE],
        request.app[REDIS],
        request.app[SETTINGS],
        hours=query.time_window,
        category_id=query.category_id,
        limit=query.limit,
    )
    items = [
        TrendingStream(
            stream=stream_response(item.row, include_ingest=False),
            trending_score=round(item.score, 1),
        )
        for item in ranked
    ]
    body = TrendingResponse(
        streams=items,
        total=total,
        limit=query.limit,
        time_window_hours=query.time_window,
    )
    return json_response(body)


@routes.get(
    "/api/v1/streams/rising",
    summary="Live streamers with few streaming hours who gain viewers fastest",
    query=RisingQuery,
    response=RisingResponse,
)
async def list_rising(request: web.Request) -> web.Response:
    """List live streams of newcomers by viewers gained over the last 30 minutes."""
    query = parse_query(request, RisingQuery)
    settings = request.app[SETTINGS]
    ranked, total = await rising_streams(
        request.app[DATABASE],
        request.app[REDIS],
        settings,
        category_id=query.category_id,
        limit=query.limit,
    )
    items = [
        RisingStream(
            stream=stream_response(item.row, include_ingest=False),
            viewer_growth=int(item.score),
            total_stream_hours=round(
                item.row["streamer_total_stream_seconds"] / 3600, 2
            ),
        )
        for item in ranked
    ]
    body = RisingResponse(
        streams=items,
        total=total,
        limit=query.limit,
        max_stream_hours=settings.rising_max_stream_hours,
    )
    return json_response(body)
