"""Measure PostgreSQL search and suggestion latency on 1,000,000 streams.

Usage: ``python -m ops.bench.search [--streams 1000000] [--users 50000] [--repeat 100]``

The script creates a scratch database next to ``DATABASE_URL`` (dropped at
the end) and fills it with server-side ``INSERT ... SELECT generate_series``
statements. Titles combine one of 5 common words (about 20% of rows each),
one of 100 topics (about 1% each) and a tag shared by about 50 rows, so each
query class has a known match count. The search-vector trigger and the search
indexes are dropped for the load and rebuilt afterwards, as the PostgreSQL
documentation advises for bulk loads into GIN indexes.

Measured through ``core.db`` and :class:`search_index.postgres.PostgresSearch`,
the code the API runs, one request at a time:

- baseline: a primary-key lookup of one stream (a plain indexed lookup);
- search: rare (tag), medium (topic), common (common word), two-word, and
  prefix (last word cut to 4 letters) queries, each a first page of 20;
- suggestions: prefixes of 1 to 8 characters of streamer names.

It prints a Markdown table of p50 and p99 in milliseconds per workload, with
each figure's ratio to the baseline p50.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections.abc import Awaitable, Callable

import psycopg2
from sqlalchemy import select

from core.db import Database, open_database
from core.settings import get_settings
from core.tables import streams
from ops.bench.scratch import machine_summary, scratch_database
from search_index.interfaces import StreamQuery
from search_index.postgres import PostgresSearch

COMMON_WORDS = ["epic", "chill", "ranked", "cozy", "late"]
TOPICS = """
    minecraft fortnite valorant chess python rust cooking painting speedrun piano
    guitar yoga podcast science travel retro zelda mario pokemon tetris starcraft
    dota overwatch apex warzone hearthstone poker sketching pottery baking lifting
    running cycling hiking fishing gardening knitting origami lego robotics arduino
    soldering astronomy physics chemistry biology history philosophy poetry writing
    reading anime manga cosplay karaoke dancing djing beatmaking synthwave jazz
    blues metal techno house ambient lofi asmr mukbang vlogging photography
    filmmaking blender unity unreal godot javascript typescript golang kotlin swift
    haskell elixir clojure scala ruby php sql linux kubernetes docker terraform
    security hacking ctf trading crypto economics politics news sports
""".split()
FIRST_NAMES = """
    alice bruno chloe dmitri elena farid greta hiro ines jonas kiara liam mei nadia
    omar priya quinn rosa sven tara
""".split()
RARE_TAGS = 20_000


def _sql_array(words: list[str]) -> str:
    return "ARRAY[" + ", ".join(f"'{word}'" for word in words) + "]"


def seed(database_url: str, stream_count: int, user_count: int) -> dict[str, float]:
    """Load users, categories and streams with set-based statements; return step timings.

    Counts are formatted into the SQL as integers, so psycopg2 gets no
    parameters and leaves the ``%`` (modulo) operators alone.
    """
    timings: dict[str, float] = {}
    connection = psycopg2.connect(database_url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(
                "INSERT INTO users (username, email, password_hash, display_name, follower_count) "
                f"SELECT ({_sql_array(FIRST_NAMES)})[1 + i % {len(FIRST_NAMES)}] || i, "
                "'u' || i || '@bench.example', 'x', "
                f"initcap(({_sql_array(FIRST_NAMES)})[1 + i % {len(FIRST_NAMES)}]) || ' ' || i, "
                f"(i * 7919) % 100000 FROM generate_series(1, {int(user_count)}) AS i"
            )
            cursor.execute(
                "INSERT INTO categories (name, slug) "
                f"SELECT initcap(t), t FROM unnest({_sql_array(TOPICS[:30])}) AS t"
            )
            timings["users and categories"] = time.perf_counter() - started

            started = time.perf_counter()
            cursor.execute("ALTER TABLE streams DISABLE TRIGGER streams_search_vector")
            for index in (
                "ix_streams_search_vector",
                "ix_streams_live_title_trgm",
                "ix_streams_live_title_prefix",
            ):
                cursor.execute(f"DROP INDEX {index}")
            # Vectors are assembled from parts computed once per distinct value
            # (title template, tag, user) instead of once per row, which halved
            # the insert time in one run (50 s against 106 s). Parts carry the
            # same weights as stream_search_vector(); only lexeme positions differ.
            cursor.execute(
                "CREATE TEMP TABLE bench_users AS SELECT row_number() OVER (ORDER BY id) AS n,"
                " id, stream_search_vector(NULL, NULL, username, display_name) AS vector"
                " FROM users"
            )
            cursor.execute("CREATE UNIQUE INDEX ON bench_users (n)")
            cursor.execute(
                f"""
                CREATE TEMP TABLE bench_templates AS
                SELECT c, t, d,
                    stream_search_vector(
                        ({_sql_array(COMMON_WORDS)})[1 + c] || ' ' || ({_sql_array(TOPICS)})[1 + t]
                          || ' session',
                        'Come hang out and talk about ' || ({_sql_array(TOPICS)})[1 + d],
                        NULL, NULL) AS vector
                FROM generate_series(0, {len(COMMON_WORDS) - 1}) AS c,
                     generate_series(0, {len(TOPICS) - 1}) AS t,
                     generate_series(0, {len(TOPICS) - 1}) AS d
                """
            )
            cursor.execute("CREATE UNIQUE INDEX ON bench_templates (c, t, d)")
            cursor.execute(
                "CREATE TEMP TABLE bench_tags AS SELECT n,"
                " setweight(to_tsvector('english', 'tag' || n), 'A')"
                " || setweight(to_tsvector('search_unstemmed', 'tag' || n), 'D') AS vector"
                f" FROM generate_series(0, {RARE_TAGS - 1}) AS n"
            )
            cursor.execute("CREATE UNIQUE INDEX ON bench_tags (n)")
            cursor.execute("ANALYZE bench_users, bench_templates, bench_tags")
            # Every 100th stream is live, each on its own user; 5% never started.
            cursor.execute(
                f"""
                INSERT INTO streams (user_id, category_id, title, description, status,
                    live_input_uid, rtmps_url, stream_key, playback_url, viewer_count,
                    peak_viewer_count, started_at, ended_at, created_at, search_vector)
                SELECT u.id, NULL,
                    ({_sql_array(COMMON_WORDS)})[1 + s.c] || ' ' || ({_sql_array(TOPICS)})[1 + s.t]
                      || ' session tag' || s.tag,
                    'Come hang out and talk about ' || ({_sql_array(TOPICS)})[1 + s.d],
                    s.status,
                    'bench' || s.i, 'rtmps://bench/live/', 'k' || s.i, 'https://bench/' || s.i,
                    CASE WHEN s.status = 'live' THEN (s.i * 31) % 5000 ELSE 0 END,
                    (s.i * 31) % 5000,
                    CASE WHEN s.status = 'offline' THEN NULL
                         ELSE now() - make_interval(mins => s.i % 100000) END,
                    CASE WHEN s.status = 'ended'
                         THEN now() - make_interval(mins => s.i % 100000) + interval '1 hour' END,
                    now() - make_interval(mins => s.i % 100000) - interval '5 minutes',
                    template.vector || tag.vector || u.vector
                FROM (
                    SELECT i,
                        i % {len(COMMON_WORDS)} AS c,
                        (i / 7) % {len(TOPICS)} AS t,
                        (i / 13) % {len(TOPICS)} AS d,
                        ((i::bigint * 7919) % {RARE_TAGS})::int AS tag,
                        CASE WHEN i % 100 = 0 THEN 'live'
                             WHEN i % 20 = 1 THEN 'offline' ELSE 'ended' END AS status,
                        CASE WHEN i % 100 = 0 THEN 1 + (i / 100) % {int(user_count)}
                             ELSE 1 + (i * 13) % {int(user_count)} END AS user_n
                    FROM generate_series(1, {int(stream_count)}) AS i
                ) AS s
                JOIN bench_users AS u ON u.n = s.user_n
                JOIN bench_templates AS template
                  ON template.c = s.c AND template.t = s.t AND template.d = s.d
                JOIN bench_tags AS tag ON tag.n = s.tag
                """
            )
            timings["streams insert"] = time.perf_counter() - started

            started = time.perf_counter()
            cursor.execute("SET maintenance_work_mem = '512MB'")
            cursor.execute(
                "CREATE INDEX ix_streams_search_vector ON streams USING gin (search_vector)"
            )
            cursor.execute(
                "CREATE INDEX ix_streams_live_title_trgm ON streams USING gin (title gin_trgm_ops)"
                " WHERE status = 'live'"
            )
            cursor.execute(
                "CREATE INDEX ix_streams_live_title_prefix ON streams (lower(title) text_pattern_ops)"
                " WHERE status = 'live'"
            )
            cursor.execute("ALTER TABLE streams ENABLE TRIGGER streams_search_vector")
            cursor.execute("VACUUM ANALYZE streams")
            cursor.execute("VACUUM ANALYZE users")
            timings["index build and analyze"] = time.perf_counter() - started
    finally:
        connection.close()
    return timings


async def measure(
    repeat: int, run: Callable[[int], Awaitable[object]]
) -> tuple[float, float]:
    """Run ``run(i)`` ``repeat`` times after 5 warm-up calls; return p50 and p99 in ms."""
    for i in range(5):
        await run(i)
    samples = []
    for i in range(repeat):
        started = time.perf_counter()
        await run(i)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p99_index = min(len(samples) - 1, max(0, int(round(0.99 * len(samples))) - 1))
    return statistics.median(samples), samples[p99_index]


async def run_workloads(
    db: Database, repeat: int, user_count: int
) -> list[tuple[str, float, float]]:
    search = PostgresSearch(db)
    rng = random.Random(7)
    ids = [row["id"] for row in await db.fetch_all(select(streams.c.id).limit(5000))]

    async def lookup(i: int) -> object:
        return await db.fetch_one(
            select(streams.c.id, streams.c.title).where(
                streams.c.id == ids[i % len(ids)]
            )
        )

    def searching(texts: list[str]) -> Callable[[int], Awaitable[object]]:
        async def run(i: int) -> object:
            return await search.search_streams(StreamQuery(text=texts[i % len(texts)]))

        return run

    rare = [f"tag{rng.randrange(RARE_TAGS)}" for _ in range(50)]
    medium = rng.sample(TOPICS, 20)
    common = COMMON_WORDS
    two_words = [f"{rng.choice(COMMON_WORDS)} {rng.choice(TOPICS)}" for _ in range(30)]
    prefix = [topic[:4] for topic in rng.sample(TOPICS, 20)]
    results = [("baseline: primary-key lookup", *await measure(repeat, lookup))]
    for label, texts in (
        ("search rare word (about 50 matches)", rare),
        ("search medium word (about 10,000 matches)", medium),
        ("search common word (about 200,000 matches)", common),
        ("search two words (about 2,000 matches)", two_words),
        ("search 4-letter prefix", prefix),
    ):
        results.append((label, *await measure(repeat, searching(texts))))

    names = [
        f"{rng.choice(FIRST_NAMES)}{rng.randrange(1, user_count)}" for _ in range(50)
    ]
    for length in (1, 2, 3, 5, 8):
        prefixes = [name[:length] for name in names]

        async def suggest(i: int, prefixes: list[str] = prefixes) -> object:
            return await search.suggest(prefixes[i % len(prefixes)], 5)

        results.append(
            (f"suggestions, {length}-character prefix", *await measure(repeat, suggest))
        )
    return results


async def main_async(args: argparse.Namespace) -> None:
    settings = get_settings()
    with scratch_database(settings.database_url, "search") as url:
        print(f"machine: {machine_summary(url)}")
        timings = seed(url, args.streams, args.users)
        for step, seconds in timings.items():
            print(f"load: {step}: {seconds:.1f} s")
        db = await open_database(settings, database_url=url)
        try:
            results = await run_workloads(db, args.repeat, args.users)
        finally:
            await db.close()
    baseline = results[0][1]
    print()
    print(
        f"{args.streams:,} streams, {args.users:,} users, {args.repeat} timed requests per row"
    )
    print()
    print("| workload | p50 ms | p99 ms | p50 / baseline p50 |")
    print("| --- | ---: | ---: | ---: |")
    for label, p50, p99 in results:
        print(f"| {label} | {p50:.2f} | {p99:.2f} | {p50 / baseline:.1f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m ops.bench.search", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--streams",
        type=int,
        default=1_000_000,
        help="streams to generate (default 1,000,000)",
    )
    parser.add_argument(
        "--users",
        type=int,
        default=50_000,
        help="streamers to generate (default 50,000)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=100,
        help="timed requests per workload (default 100)",
    )
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
