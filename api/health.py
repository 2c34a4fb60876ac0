"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio
import logging

import sqlalchemy as sa
from aiohttp import web

from api.http import json_response
from api.keys import DATABASE, REDIS

logger = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 2.0


async def healthz(request: web.Request) -> web.Response:
    """Answer as long as the process serves requests."""
    return json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Check PostgreSQL and Redis; 503 names each dependency that failed."""
    checks = {
        "postgresql": request.app[DATABASE].fetch_value(sa.text("SELECT 1")),
        "redis": request.app[REDIS].ping(),
    }
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            await asyncio.wait_for(check, CHECK_TIMEOUT_SECONDS)
            results[name] = "ok"
        except Exception as error:  # every failure means "not ready", whatever its type
            logger.warning("readiness check failed dependency=%s error=%r", name, error)
            results[name] = f"failed: {type(error).__name__}"
    ready = all(value == "ok" for value in results.values())
    return json_response(
        {"status": "ready" if ready else "not ready", "checks": results},
        status=200 if ready else 503,
    )


def setup_health(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
