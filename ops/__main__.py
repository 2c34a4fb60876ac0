"""Operator command line: ``python -m ops users|tenants|categories ...``.

Each command prints the created row as JSON on stdout; failures print the
reason on stderr and exit with status 1.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import psycopg2

from api.http import dumps
from core import identity
from core.db import Database, open_database
from core.errors import ServiceError
from core.logs import configure_logging
from core.settings import get_settings
from ops import search as search_commands

Command = Callable[[Database, argparse.Namespace], Awaitable[Any]]


async def create_user(database: Database, args: argparse.Namespace) -> dict:
    user = await identity.create_user(
        database,
        username=args.username,
        email=args.email,
        password=args.password,
        display_name=args.display_name,
        is_admin=args.admin,
        is_verified=args.verified,
        tenant_id=args.tenant,
    )
    key, _ = await identity.issue_api_key(database, user["id"], "ops")
    public = {
        name: user[name]
        for name in (
            "id",
            "username",
            "email",
            "display_name",
            "is_admin",
            "is_verified",
            "tenant_id",
            "created_at",
        )
    }
    return {"user": public, "api_key": key}


async def create_tenant(database: Database, args: argparse.Namespace) -> dict:
    return await identity.create_tenant(database, args.name)


async def create_category(database: Database, args: argparse.Namespace) -> dict:
    return await identity.create_category(database, args.name)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ops", description="Operate the live-streaming backend."
    )
    groups = parser.add_subparsers(dest="group", required=True)

    users = groups.add_parser("users", help="manage users").add_subparsers(
        dest="action", required=True
    )
    create = users.add_parser(
        "create", help="create a user and print it with a new API key"
    )
    create.add_argument(
        "--username", required=True, help="3 to 25 letters, digits or underscores"
    )
    create.add_argument("--email", required=True)
    create.add_argument("--password", required=True)
    create.add_argument("--display-name", help="defaults to the username")
    create.add_argument(
        "--admin", action="store_true", help="grant administrator rights"
    )
    create.add_argument(
        "--verified", action="store_true", help="mark the user verified"
    )
    create.add_argument("--tenant", type=UUID, help="tenant id the user belongs to")
    create.set_defaults(command=create_user)

    tenants = groups.add_parser("tenants", help="manage tenants").add_subparsers(
        dest="action", required=True
    )
    create = tenants.add_parser("create", help="create a tenant")
    create.add_argument("name")
    create.set_defaults(command=create_tenant)

    categories = groups.add_parser(
        "categories", help="manage categories"
    ).add_subparsers(dest="action", required=True)
    create = categories.add_parser("create", help="create a category")
    create.add_argument("name")
    create.set_defaults(command=create_category)

    for register in EXTRA_COMMANDS:
        register(groups)
    return parser


#: Other packages' command groups: each callable adds its sub-parsers to ``groups``
#: and sets ``command`` (a coroutine function taking the database and the arguments).
EXTRA_COMMANDS: list[Callable[[Any], None]] = [search_commands.register]


async def run(args: argparse.Namespace) -> Any:
    settings = get_settings()
    database = await open_database(settings)
    try:
        return await args.command(database, args)
    finally:
        await database.close()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging("WARNING")
    try:
        result = asyncio.run(run(args))
    except ServiceError as error:
        print(f"error: {error.detail}", file=sys.stderr)
        return 1
    except psycopg2.OperationalError as error:
        print(
            f"error: cannot use the database in DATABASE_URL: {str(error).strip()}\n"
            "Run 'make migrate' to create and migrate it, or set DATABASE_URL.",
            file=sys.stderr,
        )
        return 1
    if result is not None:
        sys.stdout.write(dumps(result).decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
