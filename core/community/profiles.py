"""Streamer profiles (public and own), profile updates and the basic user profile."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from core.clock import utc_now
from core.community.social_links import check_http_url, validate_social_links
from core.db import Connection, Database
from core.errors import FieldError, InvalidInput
from core.identity import check_category_exists, get_user, get_user_by_username
from core.search_outbox import record_search_change
from core.tables import streams, users

logger = logging.getLogger(__name__)

#: Profile fields the search index copies; changing one re-indexes the user.
SEARCHABLE_FIELDS = frozenset({"display_name", "bio", "stream_title"})

#: Fields ``update_profile`` accepts.
UPDATABLE_FIELDS = frozenset(
    {
        "display_name",
        "bio",
        "stream_title",
        "stream_category_id",
        "social_links",
        "avatar_url",
        "banner_url",
    }
)


async def _current_stream(
    db: Database | Connection, user_id: UUID
) -> dict[str, Any] | None:
    return await db.fetch_one(
        sa.select(
            streams.c.id,
            streams.c.title,
            streams.c.viewer_count,
            streams.c.status,
            streams.c.category_id,
            streams.c.thumbnail_url,
            streams.c.started_at,
        ).where(streams.c.user_id == user_id, streams.c.status == "live")
    )


def _public_fields(
    user: Mapping[str, Any], current_stream: Mapping[str, Any] | None
) -> dict[str, Any]:
    return {
        "id": user["id"],
        "username": user["username"],
        "display_name": user["display_name"],
        "bio": user["bio"],
        "avatar_url": user["avatar_url"],
        "banner_url": user["banner_url"],
        "social_links": user["social_links"],
        "stream_title": user["stream_title"],
        "stream_category_id": user["stream_category_id"],
        "follower_count": user["follower_count"],
        "following_count": user["following_count"],
        "total_views": user["total_views"],
        "is_partner": user["is_partner"],
        "is_verified": user["is_verified"],
        "is_live": current_stream is not None,
        "current_stream": dict(current_stream) if current_stream is not None else None,
        "created_at": user["created_at"],
    }


async def get_streamer_profile(db: Database, username: str) -> dict[str, Any]:
    """Return the public streamer profile of ``username``; NotFound if unknown."""
    user = await get_user_by_username(db, username)
    return _public_fields(user, await _current_stream(db, user["id"]))


async def get_own_profile(db: Database | Connection, user_id: UUID) -> dict[str, Any]:
    """Return the caller's profile: the public fields plus the private ones."""
    user = await get_user(db, user_id)
    profile = _public_fields(user, await _current_stream(db, user_id))
    profile.update(
        email=user["email"],
        tenant_id=user["tenant_id"],
        is_admin=user["is_admin"],
        total_stream_seconds=user["total_stream_seconds"],
        updated_at=user["updated_at"],
    )
    return profile


async def get_user_profile(db: Database, username: str) -> dict[str, Any]:
    """Return the basic profile: counters, total views and live status."""
    user = await get_user_by_username(db, username)
    current = await _current_stream(db, user["id"])
    return {
        "id": user["id"],
        "username": user["username"],
        "display_name": user["display_name"],
        "bio": user["bio"],
        "avatar_url": user["avatar_url"],
        "follower_count": user["follower_count"],
        "following_count": user["following_count"],
        "is_live": current is not None,
        "current_stream": (
            {key: current[key] for key in ("id", "title", "viewer_count", "status")}
            if current is not None
            else None
        ),
        "total_views": user["total_views"],
        "is_verified": user["is_verified"],
        "created_at": user["created_at"],
    }


def normalize_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Validate profile changes and map cleared values to their stored form."""
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise InvalidInput(
            f"unknown profile fields: {', '.join(sorted(unknown))}",
            [
                FieldError("body", name, "not an updatable profile field")
                for name in sorted(unknown)
            ],
        )
    values = dict(changes)
    if "display_name" in values:
        name = (values["display_name"] or "").strip()
        if not name:
            raise InvalidInput(
                "display_name is empty: send 1 to 50 characters",
                [FieldError("body", "display_name", "must not be empty")],
            )
        values["display_name"] = name
    if "bio" in values:
        values["bio"] = values["bio"] or ""
    if "stream_title" in values and values["stream_title"] is not None:
        values["stream_title"] = values["stream_title"].strip() or None
    if "social_links" in values:
        values["social_links"] = validate_social_links(values["social_links"] or {})
    for field in ("avatar_url", "banner_url"):
        if values.get(field):
            check_http_url(values[field], field)
        elif field in values:
            values[field] = None
    return values


async def update_profile(
    db: Database, user_id: UUID, changes: Mapping[str, Any]
) -> tuple[dict[str, Any], bool]:
    """Apply ``changes`` to the caller's profile; return the own profile and whether it changed.

    ``social_links`` replaces the whole set of links. A change to a searchable
    field records a search-index change in the same transaction.
    """
    values = normalize_changes(changes)
    async with db.transaction() as conn:
        current = await get_user(conn, user_id)
        changed = {key: value for key, value in values.items() if current[key] != value}
        await check_category_exists(
            conn, changed.get("stream_category_id"), field="stream_category_id"
        )
        if changed:
            await conn.execute(
                users.update()
                .where(users.c.id == user_id)
                .values(**changed, updated_at=utc_now())
            )
            if SEARCHABLE_FIELDS & changed.keys():
                await record_search_change(conn, "user", user_id)
        profile = await get_own_profile(conn, user_id)
    if changed:
        logger.info(
            "profile updated user_id=%s fields=%s", user_id, ",".join(sorted(changed))
        )
    return profile, bool(changed)
