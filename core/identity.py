"""Users, passwords, API keys, tenants and categories."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.clock import utc_now
from core.db import Connection, Database, UniqueViolation, violated_constraint
from core.errors import (
    AuthenticationFailed,
    Conflict,
    FieldError,
    InvalidInput,
    NotFound,
)
from core.search_outbox import record_search_change
from core.tables import api_keys, categories, tenants, users
from core.tables.identity import USERNAME_PATTERN

logger = logging.getLogger(__name__)

#: argon2id with the library's defaults (RFC 9106 "second recommended" profile).
_password_hasher = PasswordHasher()

API_KEY_PREFIX = "lsk_"
#: Characters of the key kept in clear so owners can tell their keys apart.
API_KEY_DISPLAY_LENGTH = 12
#: ``last_used_at`` is written at most this often per key, to keep reads cheap.
LAST_USED_RESOLUTION = timedelta(minutes=1)

_USERNAME_RE = re.compile(USERNAME_PATTERN)


@dataclass(frozen=True)
class AuthenticatedUser:
    id: UUID
    username: str
    display_name: str
    is_admin: bool
    is_verified: bool
    tenant_id: UUID | None


async def hash_password(password: str) -> str:
    """Hash with argon2id off the event loop (about 50 ms of CPU per call)."""
    return await asyncio.get_running_loop().run_in_executor(
        None, _password_hasher.hash, password
    )


async def verify_password(password_hash: str, password: str) -> bool:
    def verify() -> bool:
        try:
            return _password_hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.get_running_loop().run_in_executor(None, verify)


def hash_api_key(key: str) -> str:
    # aiohttp decodes header bytes that are not UTF-8 to lone surrogates, and
    # surrogateescape turns them back into those bytes instead of raising.
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


def check_username(username: str) -> None:
    if not _USERNAME_RE.fullmatch(username):
        raise InvalidInput(
            f"invalid username {username!r}: use 3 to 25 letters, digits or underscores",
            [FieldError("body", "username", "must match " + USERNAME_PATTERN)],
        )


async def create_user(
    db: Database,
    *,
    username: str,
    email: str,
    password: str,
    display_name: str | None = None,
    is_admin: bool = False,
    is_verified: bool = False,
    tenant_id: UUID | None = None,
) -> dict:
    """Insert a user; a username or email already taken (any case) is a Conflict."""
    check_username(username)
    password_hash = await hash_password(password)
    statement = (
        users.insert()
        .values(
            username=username,
            email=email.strip(),
            password_hash=password_hash,
            display_name=display_name or username,
            is_admin=is_admin,
            is_verified=is_verified,
            tenant_id=tenant_id,
        )
        .returning(users)
    )
    try:
        async with db.transaction() as conn:
            row = await conn.fetch_one(statement)
    except UniqueViolation as error:
        constraint = violated_constraint(error) or ""
        if "email" in constraint:
            raise Conflict(
                f"email {email!r} is already registered; log in instead"
            ) from error
        raise Conflict(
            f"username {username!r} is already taken; choose another"
        ) from error
    assert row is not None
    logger.info("user created user_id=%s username=%s", row["id"], row["username"])
    return row


async def get_user_by_username(db: Database | Connection, username: str) -> dict:
    # A username from a URL path may contain U+0000, which no stored username
    # has and which PostgreSQL rejects in a query parameter.
    if "\x00" in username:
        raise NotFound(f"user {username!r} not found")
    row = await db.fetch_one(
        sa.select(users).where(sa.func.lower(users.c.username) == username.lower())
    )
    if row is None:
        raise NotFound(f"user {username!r} not found")
    return row


async def get_user(db: Database | Connection, user_id: UUID) -> dict:
    row = await db.fetch_one(sa.select(users).where(users.c.id == user_id))
    if row is None:
        raise NotFound(f"user {user_id} not found")
    return row


async def authenticate_password(db: Database, login: str, password: str) -> dict:
    """Return the user whose username or email is ``login`` if ``password`` matches."""
    login = login.strip()
    row = await db.fetch_one(
        sa.select(users).where(
            sa.or_(
                sa.func.lower(users.c.username) == login.lower(),
                sa.func.lower(users.c.email) == login.lower(),
            )
        )
    )
    if row is None:
        # Hash anyway so the response time does not reveal whether the login exists.
        await hash_password(password)
        raise AuthenticationFailed("invalid login or password")
    if not await verify_password(row["password_hash"], password):
        raise AuthenticationFailed("invalid login or password")
    return row


async def issue_api_key(
    db: Database | Connection, user_id: UUID, name: str
) -> tuple[str, dict]:
    """Create a key for ``user_id``; return the key (shown once) and its stored row."""
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    row = await db.fetch_one(
        api_keys.insert()
        .values(
            user_id=user_id,
            name=name,
            prefix=key[:API_KEY_DISPLAY_LENGTH],
            key_hash=hash_api_key(key),
        )
        .returning(
            api_keys.c.id,
            api_keys.c.name,
            api_keys.c.prefix,
            api_keys.c.created_at,
            api_keys.c.last_used_at,
        )
    )
    assert row is not None
    logger.info("api key issued user_id=%s key_id=%s", user_id, row["id"])
    return key, row


async def resolve_api_key(db: Database, key: str) -> AuthenticatedUser:
    """Return the owner of ``key``; unknown or revoked keys raise AuthenticationFailed."""
    row = await db.fetch_one(
        sa.select(
            api_keys.c.id.label("key_id"),
            api_keys.c.last_used_at,
            users.c.id,
            users.c.username,
            users.c.display_name,
            users.c.is_admin,
            users.c.is_verified,
            users.c.tenant_id,
        )
        .join(users, users.c.id == api_keys.c.user_id)
        .where(api_keys.c.key_hash == hash_api_key(key))
    )
    if row is None:
        raise AuthenticationFailed("invalid API key; log in again to get a new one")
    now = utc_now()
    if row["last_used_at"] is None or now - row["last_used_at"] > LAST_USED_RESOLUTION:
        await db.execute(
            api_keys.update()
            .where(api_keys.c.id == row["key_id"])
            .values(last_used_at=now)
        )
    return AuthenticatedUser(
        id=row["id"],
        username=row["username"],
        display_name=row["display_name"],
        is_admin=row["is_admin"],
        is_verified=row["is_verified"],
        tenant_id=row["tenant_id"],
    )


async def list_api_keys(db: Database, user_id: UUID) -> list[dict]:
    return await db.fetch_all(
        sa.select(
            api_keys.c.id,
            api_keys.c.name,
            api_keys.c.prefix,
            api_keys.c.created_at,
            api_keys.c.last_used_at,
        )
        .where(api_keys.c.user_id == user_id)
        .order_by(api_keys.c.created_at.desc(), api_keys.c.id)
    )


async def revoke_api_key(db: Database, user_id: UUID, key_id: UUID) -> None:
    deleted = await db.execute(
        api_keys.delete().where(api_keys.c.id == key_id, api_keys.c.user_id == user_id)
    )
    if not deleted:
        raise NotFound(f"API key {key_id} not found")
    logger.info("api key revoked user_id=%s key_id=%s", user_id, key_id)


async def create_tenant(db: Database, name: str) -> dict:
    try:
        row = await db.fetch_one(tenants.insert().values(name=name).returning(tenants))
    except UniqueViolation as error:
        raise Conflict(f"tenant {name!r} already exists") from error
    assert row is not None
    return row


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "category"


async def create_category(db: Database, name: str) -> dict:
    name = name.strip()
    if not name:
        raise InvalidInput(
            "category name is empty", [FieldError("body", "name", "must not be empty")]
        )
    try:
        async with db.transaction() as conn:
            row = await conn.fetch_one(
                categories.insert()
                .values(name=name, slug=slugify(name))
                .returning(categories)
            )
            assert row is not None
            await record_search_change(conn, "category", row["id"])
    except UniqueViolation as error:
        raise Conflict(f"category {name!r} already exists") from error
    return row


async def check_category_exists(
    db: Database | Connection, category_id: UUID | None, field: str = "category_id"
) -> None:
    """Raise InvalidInput naming ``field`` when no category has ``category_id``."""
    if category_id is None:
        return
    found = await db.fetch_value(
        sa.select(sa.literal(1))
        .select_from(categories)
        .where(categories.c.id == category_id)
    )
    if found is None:
        raise InvalidInput(
            f"category {category_id} not found: pick an id from GET /api/v1/categories",
            [FieldError("body", field, "no category with this id")],
        )


async def list_categories(
    db: Database, *, limit: int, offset: int
) -> tuple[list[dict], int]:
    """Return one page of categories by name, and how many there are."""
    rows = await db.fetch_all(
        sa.select(categories)
        .order_by(sa.func.lower(categories.c.name))
        .limit(limit)
        .offset(offset)
    )
    total = await db.fetch_value(sa.select(sa.func.count()).select_from(categories))
    return rows, total
