"""The aiopg-backed database wrapper: statements, transactions and bounded helpers."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from core.db import count_up_to, delete_in_batches
from core.tables import categories


async def insert_categories(db, count: int) -> None:
    await db.execute(
        categories.insert().values(
            [{"name": f"Category {i}", "slug": f"category-{i}"} for i in range(count)]
        )
    )


async def test_transaction_commits(db):
    async with db.transaction() as conn:
        await conn.execute(categories.insert().values(name="Art", slug="art"))

    assert await db.fetch_value(sa.select(categories.c.name)) == "Art"


async def test_transaction_rolls_back_on_error(db):
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            await conn.execute(categories.insert().values(name="Art", slug="art"))
            raise RuntimeError("abort")

    assert await db.fetch_value(sa.select(sa.func.count()).select_from(categories)) == 0


async def test_in_clause_expands_list(db):
    await insert_categories(db, 3)

    rows = await db.fetch_all(
        sa.select(categories.c.slug).where(
            categories.c.slug.in_(["category-0", "category-2", "missing"])
        )
    )

    assert sorted(row["slug"] for row in rows) == ["category-0", "category-2"]


async def test_uuid_round_trip(db):
    category_id = uuid.uuid4()
    await db.execute(categories.insert().values(id=category_id, name="Art", slug="art"))

    value = await db.fetch_value(sa.select(categories.c.id))

    assert value == category_id


async def test_count_up_to_stops_at_limit(db):
    await insert_categories(db, 7)
    query = sa.select(categories.c.id)

    assert await count_up_to(db, query, limit=5) == 5
    assert await count_up_to(db, query, limit=10) == 7


async def test_delete_in_batches_deletes_all_matching(db):
    await insert_categories(db, 25)

    deleted = await delete_in_batches(
        db,
        categories,
        key_columns=[categories.c.id],
        condition=categories.c.slug != "category-3",
        batch_size=10,
    )

    assert deleted == 24
    remaining = await db.fetch_all(sa.select(categories.c.slug))
    assert [row["slug"] for row in remaining] == ["category-3"]
