"""Follow edges and counters under concurrency, on real PostgreSQL."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
import sqlalchemy as sa

from core.community import follows
from core.db import Database
from core.errors import DomainRuleViolation, NotFound
from core.tables import follows as follows_table
from core.tables import users


async def counters(db: Database, user_id: Any) -> tuple[int, int]:
    row = await db.fetch_one(
        sa.select(users.c.follower_count, users.c.following_count).where(
            users.c.id == user_id
        )
    )
    assert row is not None
    return row["follower_count"], row["following_count"]


async def real_counts(db: Database, user_id: Any) -> tuple[int, int]:
    followers = await db.fetch_value(
        sa.select(sa.func.count())
        .select_from(follows_table)
        .where(follows_table.c.followed_id == user_id)
    )
    following = await db.fetch_value(
        sa.select(sa.func.count())
        .select_from(follows_table)
        .where(follows_table.c.follower_id == user_id)
    )
    return followers, following


async def test_follow_updates_both_counters(db: Database, make_user: Any) -> None:
    alice, _ = await make_user("alice")
    bob, _ = await make_user("bob")

    result = await follows.follow(db, alice["id"], "BOB", notifications_enabled=False)

    assert result.followed_id == bob["id"]
    assert result.notifications_enabled is False
    assert await counters(db, bob["id"]) == (1, 0)
    assert await counters(db, alice["id"]) == (0, 1)


async def test_follow_rejects_self_and_repeat(db: Database, make_user: Any) -> None:
    alice, _ = await make_user("alice")
    await make_user("bob")
    await follows.follow(db, alice["id"], "bob")

    with pytest.raises(DomainRuleViolation):
        await follows.follow(db, alice["id"], "alice")
    with pytest.raises(DomainRuleViolation):
        await follows.follow(db, alice["id"], "bob")

    assert await counters(db, alice["id"]) == (0, 1)


async def test_unfollow_unknown_or_absent_is_not_found(
    db: Database, make_user: Any
) -> None:
    alice, _ = await make_user("alice")
    await make_user("bob")

    with pytest.raises(NotFound):
        await follows.unfollow(db, alice["id"], "nobody_here")
    with pytest.raises(NotFound):
        await follows.unfollow(db, alice["id"], "bob")

    assert await counters(db, alice["id"]) == (0, 0)


async def test_concurrent_follows_of_one_pair_create_one_edge(
    db: Database, make_user: Any
) -> None:
    alice, _ = await make_user("alice")
    bob, _ = await make_user("bob")

    results = await asyncio.gather(
        *(follows.follow(db, alice["id"], "bob") for _ in range(8)),
        return_exceptions=True,
    )

    successes = [
        result for result in results if isinstance(result, follows.FollowResult)
    ]
    rejections = [
        result for result in results if isinstance(result, DomainRuleViolation)
    ]
    assert len(successes) == 1
    assert len(rejections) == 7
    assert await real_counts(db, bob["id"]) == (1, 0)
    assert await counters(db, bob["id"]) == (1, 0)
    assert await counters(db, alice["id"]) == (0, 1)


async def test_counters_match_after_concurrent_follows_and_unfollows(
    db: Database, make_user: Any
) -> None:
    people = [(await make_user(f"member_{index}"))[0] for index in range(6)]
    pairs = [(a, b) for a in people for b in people if a["id"] != b["id"]]
    randomizer = random.Random(7)
    randomizer.shuffle(pairs)

    # Every ordered pair at once, including A->B racing B->A.
    await asyncio.gather(
        *(follows.follow(db, a["id"], b["username"]) for a, b in pairs)
    )
    leaving = pairs[: len(pairs) // 2]
    # Unfollow half of the edges while re-following some of them and
    # repeating some unfollows, all concurrently.
    operations = [follows.unfollow(db, a["id"], b["username"]) for a, b in leaving]
    operations += [follows.unfollow(db, a["id"], b["username"]) for a, b in leaving[:5]]
    operations += [follows.follow(db, a["id"], b["username"]) for a, b in pairs[-5:]]
    randomizer.shuffle(operations)
    results = await asyncio.gather(*operations, return_exceptions=True)

    unexpected = [
        result
        for result in results
        if isinstance(result, BaseException)
        and not isinstance(result, NotFound | DomainRuleViolation)
    ]
    assert unexpected == []
    total_edges = await db.fetch_value(
        sa.select(sa.func.count()).select_from(follows_table)
    )
    assert total_edges == len(pairs) - len(leaving)
    for person in people:
        assert await counters(db, person["id"]) == await real_counts(
            db, person["id"]
        ), person["username"]


async def test_follow_lists_newest_first_with_totals(
    db: Database, make_user: Any
) -> None:
    star, _ = await make_user("star")
    fans = [(await make_user(f"fan_{index}"))[0] for index in range(3)]
    for fan in fans:
        await follows.follow(db, fan["id"], "star")

    rows, total = await follows.list_followers(db, "star", page=1, per_page=2)
    following, following_total = await follows.list_following(
        db, "fan_0", page=1, per_page=20
    )

    assert total == 3
    assert [row["username"] for row in rows] == ["fan_2", "fan_1"]
    assert all(row["followed_at"] is not None for row in rows)
    assert following_total == 1
    assert following[0]["id"] == star["id"]
