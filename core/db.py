"""PostgreSQL access: SQLAlchemy Core statements compiled for psycopg2, run by aiopg.

``aiopg.sa`` targets SQLAlchemy 1.x, so statements are compiled here against
the psycopg2 dialect and executed on plain aiopg connections. Rows come back
as dicts keyed by column label.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aiopg
import psycopg2.errors
import psycopg2.extensions
import psycopg2.extras
from sqlalchemy.dialects.postgresql import psycopg2 as psycopg2_dialect
import sqlalchemy as sa
from sqlalchemy.sql import ClauseElement

from core.settings import Settings

logger = logging.getLogger(__name__)

psycopg2.extras.register_uuid()
psycopg2.extensions.register_adapter(dict, psycopg2.extras.Json)

_DIALECT = psycopg2_dialect.dialect()

#: Re-exported so callers catch driver errors without importing psycopg2.
IntegrityError = psycopg2.IntegrityError
UniqueViolation = psycopg2.errors.UniqueViolation
ForeignKeyViolation = psycopg2.errors.ForeignKeyViolation

#: Deepest item a paginated list reaches, and the largest total it counts.
#: Both bound the cost of a list request however large the table grows.
MAX_LIST_DEPTH = 10_000

Row = dict[str, Any]
Statement = ClauseElement | str


def compile_statement(statement: Statement) -> tuple[str, Mapping[str, Any] | None]:
    """Compile a Core statement to SQL text with pyformat parameters for psycopg2."""
    if isinstance(statement, str):
        return statement, None
    compiled = statement.compile(
        dialect=_DIALECT, compile_kwargs={"render_postcompile": True}
    )
    params = dict(compiled.params)
    # Type-level conversions (JSON serialisation and the like) normally run in
    # SQLAlchemy's execution context; apply them here since aiopg executes.
    for name, processor in compiled._bind_processors.items():  # noqa: SLF001
        if name in params and processor is not None:
            params[name] = processor(params[name])
    return compiled.string, params


def violated_constraint(error: psycopg2.Error) -> str | None:
    """Return the name of the constraint an integrity error reports, if any."""
    diag = getattr(error, "diag", None)
    return getattr(diag, "constraint_name", None)


class Connection:
    """One pooled connection; the query methods mirror :class:`Database`'s."""

    def __init__(self, raw: aiopg.Connection) -> None:
        self._raw = raw

    async def _run(self, statement: Statement) -> tuple[list[Row], int]:
        sql, params = compile_statement(statement)
        async with self._raw.cursor() as cursor:
            await cursor.execute(sql, params)
            if cursor.description is None:
                return [], cursor.rowcount
            names = [column.name for column in cursor.description]
            rows = await cursor.fetchall()
            return [dict(zip(names, row, strict=True)) for row in rows], cursor.rowcount

    async def fetch_all(self, statement: Statement) -> list[Row]:
        rows, _ = await self._run(statement)
        return rows

    async def fetch_one(self, statement: Statement) -> Row | None:
        rows, _ = await self._run(statement)
        return rows[0] if rows else None

    async def fetch_value(self, statement: Statement) -> Any:
        row = await self.fetch_one(statement)
        if row is None:
            return None
        return next(iter(row.values()))

    async def execute(self, statement: Statement) -> int:
        """Run a statement and return the number of rows it affected."""
        _, rowcount = await self._run(statement)
        return rowcount


class Database:
    """A pool of connections; each query method borrows one connection."""

    def __init__(self, pool: aiopg.Pool) -> None:
        self._pool = pool

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        """Borrow a connection in autocommit mode: each statement commits alone."""
        async with self._pool.acquire() as raw:
            yield Connection(raw)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """Borrow a connection inside BEGIN ... COMMIT, rolled back on any exception."""
        async with self._pool.acquire() as raw:
            async with raw.cursor() as cursor:
                await cursor.execute("BEGIN")
            try:
                yield Connection(raw)
            except BaseException:
                await _rollback_or_close(raw)
                raise
            async with raw.cursor() as cursor:
                await cursor.execute("COMMIT")

    async def fetch_all(self, statement: Statement) -> list[Row]:
        async with self.connection() as conn:
            return await conn.fetch_all(statement)

    async def fetch_one(self, statement: Statement) -> Row | None:
        async with self.connection() as conn:
            return await conn.fetch_one(statement)

    async def fetch_value(self, statement: Statement) -> Any:
        async with self.connection() as conn:
            return await conn.fetch_value(statement)

    async def execute(self, statement: Statement) -> int:
        async with self.connection() as conn:
            return await conn.execute(statement)

    async def close(self) -> None:
        self._pool.close()
        await self._pool.wait_closed()


async def _rollback_or_close(raw: aiopg.Connection) -> None:
    try:
        async with raw.cursor() as cursor:
            await cursor.execute("ROLLBACK")
    except Exception:
        # A connection that cannot roll back must not return to the pool
        # in the middle of a transaction.
        logger.warning("rollback failed; closing the connection", exc_info=True)
        await raw.close()


async def open_database(
    settings: Settings, *, database_url: str | None = None
) -> Database:
    """Open a connection pool on ``database_url`` (default: ``settings.database_url``)."""
    pool = await aiopg.create_pool(
        database_url or settings.database_url,
        minsize=settings.database_pool_min_size,
        maxsize=settings.database_pool_max_size,
        timeout=30.0,
        options="-c timezone=UTC",
    )
    return Database(pool)


async def delete_in_batches(
    db: Database,
    table: sa.Table,
    *,
    key_columns: Sequence[sa.Column[Any]],
    condition: sa.ColumnElement[bool],
    batch_size: int,
) -> int:
    """Delete the rows of ``table`` matching ``condition``, ``batch_size`` per statement.

    Short statements keep each lock and WAL burst small on a large table.
    ``key_columns`` must identify a row. Returns the number of rows deleted.
    """
    deleted = 0
    while True:
        batch = sa.select(*key_columns).where(condition).limit(batch_size)
        count = await db.execute(
            table.delete().where(sa.tuple_(*key_columns).in_(batch))
        )
        deleted += count
        if count < batch_size:
            return deleted


async def count_up_to(
    conn: Connection | Database, query: sa.Select[Any], limit: int = MAX_LIST_DEPTH
) -> int:
    """Count the rows ``query`` returns, stopping at ``limit``.

    The count reads at most ``limit`` rows, so its cost does not grow with
    the table. Totals of lists are reported this way, capped at ``limit``.
    """
    bounded = query.limit(limit).subquery()
    return int(
        await conn.fetch_value(sa.select(sa.func.count()).select_from(bounded)) or 0
    )
