"""Measure the go-live fan-out to 1,000,000 followers against one direct INSERT ... SELECT.

Usage: ``python -m ops.bench.fanout [--followers 1000000] [--batch-size 10000]
[--parallelism 2] [--rounds 2]``

The script creates a scratch database next to ``DATABASE_URL`` (dropped at
the end), inserts one streamer with a live stream and ``--followers``
followers, then alternates two runs per round, emptying ``notifications``
and taking a checkpoint before each:

- fan-out: :func:`core.fanout.fan_out_live_notification`, the worker's code,
  in statements of ``--batch-size`` rows through ``core.db``, with
  ``--parallelism`` follower ranges at a time;
- baseline: one ``INSERT INTO notifications ... SELECT ... FROM follows`` of
  the same rows in a single statement on the same pool.

It prints a Markdown table: seconds and rows/s of each run, and the ratio of
the fan-out's rate to the baseline's. Targets: at most 10 s and at least half
the baseline's rate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from uuid import UUID

import psycopg2
import sqlalchemy as sa

from core.db import Database, open_database
from core.fanout import fan_out_live_notification, live_dedupe_key
from core.settings import get_settings
from ops.bench.scratch import machine_summary, scratch_database

TARGET_SECONDS = 10.0
TARGET_RATIO = 0.5


def seed(database_url: str, followers: int) -> tuple[UUID, UUID]:
    """Insert the streamer, its live stream and ``followers`` following users.

    Runs on a plain psycopg2 connection: the set-up statements take longer
    than the pool's per-statement timeout.
    """
    connection = psycopg2.connect(database_url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO users (username, email, password_hash, display_name) "
                "SELECT 'follower' || i, 'follower' || i || '@bench.example', 'x', "
                "'follower' || i FROM generate_series(1, %s) AS i",
                (followers,),
            )
            cursor.execute(
                "INSERT INTO users (username, email, password_hash, display_name) "
                "VALUES ('streamer', 'streamer@bench.example', 'x', 'Streamer') RETURNING id"
            )
            (streamer,) = cursor.fetchone()
            cursor.execute(
                "INSERT INTO follows (follower_id, followed_id) "
                "SELECT id, %(streamer)s FROM users WHERE id <> %(streamer)s",
                {"streamer": streamer},
            )
            cursor.execute(
                "INSERT INTO streams (user_id, title, status, live_input_uid, rtmps_url, "
                "stream_key, playback_url, started_at) VALUES (%s, 'Benchmark stream', "
                "'live', 'bench-input', 'rtmps://bench/', 'k', 'https://bench/', now()) "
                "RETURNING id",
                (streamer,),
            )
            (stream_id,) = cursor.fetchone()
            cursor.execute("VACUUM ANALYZE users")
            cursor.execute("VACUUM ANALYZE follows")
    finally:
        connection.close()
    return UUID(str(streamer)), UUID(str(stream_id))


async def reset(db: Database) -> None:
    await db.execute(sa.text("TRUNCATE notifications"))
    await db.execute("CHECKPOINT")


async def run_fanout(
    db: Database, stream_id: UUID, batch_size: int, parallelism: int
) -> tuple[float, int]:
    started = time.perf_counter()
    report = await fan_out_live_notification(
        db, stream_id, batch_size=batch_size, parallelism=parallelism
    )
    return time.perf_counter() - started, report.inserted


BASELINE_SQL = """
INSERT INTO notifications (user_id, kind, actor_id, stream_id, dedupe_key, data)
SELECT follower_id, 'stream_live', %(streamer)s, %(stream)s, %(dedupe_key)s, %(data)s::jsonb
FROM follows
WHERE followed_id = %(streamer)s AND notifications_enabled
ON CONFLICT DO NOTHING
"""


def run_baseline(
    database_url: str, streamer: UUID, stream_id: UUID
) -> tuple[float, int]:
    """Insert the same rows as the fan-out in one statement on a direct connection.

    A plain psycopg2 connection, as psql would run it, without the pool's
    per-statement timeout.
    """
    data = json.dumps(
        {"stream_title": "Benchmark stream", "streamer_username": "streamer"}
    )
    connection = psycopg2.connect(database_url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(
                BASELINE_SQL,
                {
                    "streamer": str(streamer),
                    "stream": str(stream_id),
                    "dedupe_key": live_dedupe_key(stream_id),
                    "data": data,
                },
            )
            return time.perf_counter() - started, cursor.rowcount
    finally:
        connection.close()


async def bench(
    database_url: str, arguments: argparse.Namespace
) -> list[tuple[str, float, int]]:
    settings = get_settings().model_copy(
        update={
            "database_url": database_url,
            "database_pool_min_size": 1,
            "database_pool_max_size": arguments.parallelism + 1,
        }
    )
    db = await open_database(settings)
    try:
        started = time.perf_counter()
        streamer, stream_id = await asyncio.to_thread(
            seed, database_url, arguments.followers
        )
        print(
            f"seeded {arguments.followers} followers in {time.perf_counter() - started:.1f} s"
        )
        results = []
        for round_number in range(1, arguments.rounds + 1):
            await reset(db)
            seconds, rows = await run_fanout(
                db, stream_id, arguments.batch_size, arguments.parallelism
            )
            results.append((f"fan-out, round {round_number}", seconds, rows))
            print(
                f"fan-out round {round_number}: {seconds:.2f} s, {rows} rows",
                flush=True,
            )
            await reset(db)
            seconds, rows = await asyncio.to_thread(
                run_baseline, database_url, streamer, stream_id
            )
            results.append(
                (f"baseline INSERT ... SELECT, round {round_number}", seconds, rows)
            )
            print(
                f"baseline round {round_number}: {seconds:.2f} s, {rows} rows",
                flush=True,
            )
        return results
    finally:
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--followers", type=int, default=1_000_000, help="followers of the streamer"
    )
    parser.add_argument(
        "--batch-size", type=int, default=10_000, help="rows per fan-out statement"
    )
    parser.add_argument(
        "--parallelism",
        type=int,
        default=get_settings().fanout_parallelism,
        help="follower ranges inserted at the same time (default: FANOUT_PARALLELISM)",
    )
    parser.add_argument(
        "--rounds", type=int, default=2, help="fan-out and baseline runs each"
    )
    arguments = parser.parse_args()

    base_url = get_settings().database_url
    with scratch_database(base_url, "fanout") as database_url:
        print(f"machine: {machine_summary(database_url)}")
        results = asyncio.run(bench(database_url, arguments))

    fanouts = [seconds for name, seconds, _ in results if name.startswith("fan-out")]
    baselines = [seconds for name, seconds, _ in results if name.startswith("baseline")]
    rows = results[0][2]
    print(
        f"followers: {arguments.followers}, batch size: {arguments.batch_size}, "
        f"parallelism: {arguments.parallelism}"
    )
    print()
    print("| run | seconds | rows | rows/s |")
    print("| --- | --- | --- | --- |")
    for name, seconds, inserted in results:
        print(f"| {name} | {seconds:.2f} | {inserted} | {inserted / seconds:,.0f} |")
    best_fanout, best_baseline = min(fanouts), min(baselines)
    ratio = best_baseline / best_fanout
    print()
    print(
        f"best fan-out {best_fanout:.2f} s ({rows / best_fanout:,.0f} rows/s) against baseline "
        f"{best_baseline:.2f} s ({rows / best_baseline:,.0f} rows/s): rate ratio {ratio:.2f} "
        f"(target >= {TARGET_RATIO}), time target <= {TARGET_SECONDS:.0f} s: "
        f"{'met' if best_fanout <= TARGET_SECONDS and ratio >= TARGET_RATIO else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
