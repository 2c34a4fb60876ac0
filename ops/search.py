"""``python -m ops search reindex``: rebuild the Meilisearch indexes from the database."""

from __future__ import annotations

import argparse
from typing import Any

import aiohttp

from core.db import Database
from core.errors import InvalidInput, UpstreamError
from core.redis import open_redis
from core.settings import get_settings
from search_index.meili_client import MeilisearchError
from search_index.outbox import IndexWriterBusy
from search_index.postgres import PostgresSearch
from search_index.reindex import REINDEX_BATCH_SIZE, reindex
from search_index.service import build_meilisearch_backend


async def run_reindex(database: Database, args: argparse.Namespace) -> dict[str, Any]:
    """Build new indexes from the database and swap them in; return the document counts."""
    settings = get_settings()
    if not settings.meilisearch_url:
        raise InvalidInput(
            "MEILISEARCH_URL is not set: the PostgreSQL index needs no rebuild, "
            "set MEILISEARCH_URL to rebuild Meilisearch"
        )
    redis_client = open_redis(settings)
    try:
        async with aiohttp.ClientSession() as session:
            backend = build_meilisearch_backend(
                settings, session, PostgresSearch(database)
            )
            try:
                counts = await reindex(
                    database,
                    backend,
                    redis_client,
                    settings,
                    batch_size=args.batch_size,
                    wait_seconds=args.wait,
                )
            except IndexWriterBusy as error:
                raise UpstreamError(str(error)) from error
            except MeilisearchError as error:
                raise UpstreamError(f"reindex failed: {error.detail}") from error
    finally:
        await redis_client.aclose()
    return {"prefix": settings.meilisearch_index_prefix, "documents": counts}


def register(groups: Any) -> None:
    """Add the ``search`` command group to the ``python -m ops`` parser."""
    search = groups.add_parser("search", help="manage the search index").add_subparsers(
        dest="action", required=True
    )
    rebuild = search.add_parser(
        "reindex",
        help="build new Meilisearch indexes from the database, then swap them in",
    )
    rebuild.add_argument(
        "--batch-size",
        type=int,
        default=REINDEX_BATCH_SIZE,
        help=f"documents per indexing task (default {REINDEX_BATCH_SIZE})",
    )
    rebuild.add_argument(
        "--wait",
        type=float,
        default=30.0,
        help="seconds to wait for a running drain or reindex to finish (default 30)",
    )
    rebuild.set_defaults(command=run_reindex)
