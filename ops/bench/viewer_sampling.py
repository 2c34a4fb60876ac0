"""Measure viewer-count sampling of 10,000 live streams against the Cloudflare emulator.

Usage: ``python -m ops.bench.viewer_sampling [--streams 10000] [--rounds 2]``

The script creates a scratch database next to ``DATABASE_URL`` (dropped at
the end), starts the emulator in a subprocess on a free loopback port,
creates one live input per stream through the Cloudflare client and gives
each a viewer count. Then, per round:

- baseline: plain ``GET /<uid>/views`` of every input with aiohttp, as many
  in flight as ``VIEWER_SAMPLE_CONCURRENCY``, without touching the database;
- sampling: one ``sample_viewer_counts`` message through a Redis broker (a
  scratch namespace) to an in-process Dramatiq worker with
  ``WORKER_THREADS`` threads, timed until every stream carries the tick's
  ``viewer_count_sampled_at``.

It prints a Markdown table of each figure next to the baseline and the
sampling interval, which the sampling must stay under.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime

import aiohttp
import sqlalchemy as sa
from dramatiq import Worker

import workers
from core.cloudflare import CloudflareStream
from core.db import Database, open_database
from core.settings import Settings, get_settings
from core.tables import streams
from ops.bench.scratch import machine_summary, scratch_database
from workers.broker import bind_actors, setup_broker
from workers.viewers import sample_viewer_counts


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_emulator(port: int) -> subprocess.Popen:
    environment = dict(
        os.environ,
        EMULATOR_HOST="127.0.0.1",
        EMULATOR_PORT=str(port),
        EMULATOR_RATE_LIMIT_REQUESTS="10000000",
        # Nothing connects, so no notification is posted; point it at the emulator itself.
        EMULATOR_WEBHOOK_URL=f"http://127.0.0.1:{port}/__emulator/none",
        LOG_LEVEL="WARNING",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "ops.cloudflare_emulator"], env=environment
    )


async def wait_for_port(port: int, limit_seconds: float = 20.0) -> None:
    deadline = time.monotonic() + limit_seconds
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise RuntimeError(
        f"the emulator did not listen on port {port} within {limit_seconds} s"
    )


async def gather_limited(count: int, concurrency: int, make) -> list:
    semaphore = asyncio.Semaphore(concurrency)

    async def run(index: int):
        async with semaphore:
            return await make(index)

    return await asyncio.gather(*(run(index) for index in range(count)))


async def seed(db: Database, settings: Settings, count: int) -> list[str]:
    """Create ``count`` live inputs with viewers and one live stream on each."""
    origin = settings.effective_cloudflare_delivery_base
    async with aiohttp.ClientSession() as session:
        cloudflare = CloudflareStream.from_settings(session, settings)

        async def create(index: int) -> str:
            live_input = await cloudflare.create_live_input(
                meta={"name": f"bench {index}"}
            )
            async with session.post(
                f"{origin}/__emulator/live_inputs/{live_input.uid}/viewers",
                json={"count": random.randint(0, 5000)},
            ) as response:
                response.raise_for_status()
            return live_input.uid

        uids = await gather_limited(count, 50, create)

    await db.execute(
        sa.text(
            "INSERT INTO users (username, email, password_hash, display_name) "
            "SELECT 'streamer' || i, 'streamer' || i || '@bench.example', 'x', 'streamer' || i "
            "FROM generate_series(1, :count) AS i"
        ).bindparams(count=count)
    )
    await db.execute(
        sa.text(
            "INSERT INTO streams (user_id, title, status, live_input_uid, rtmps_url, "
            "stream_key, playback_url, started_at) "
            "SELECT u.id, 'bench', 'live', i.uid, 'rtmps://bench/', 'k', 'https://bench/', now() "
            "FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM users) AS u "
            "JOIN (SELECT uid, row_number() OVER () AS n FROM unnest(CAST(:uids AS text[])) AS uid) AS i "
            "ON i.n = u.n"
        ).bindparams(uids=uids)
    )
    await db.execute("VACUUM ANALYZE streams")
    return uids


async def baseline(settings: Settings, uids: list[str]) -> float:
    origin = settings.effective_cloudflare_delivery_base
    async with aiohttp.ClientSession() as session:

        async def read(index: int) -> int:
            async with session.get(f"{origin}/{uids[index]}/views") as response:
                return (await response.json())["liveViewers"]

        started = time.perf_counter()
        await gather_limited(len(uids), settings.viewer_sample_concurrency, read)
        return time.perf_counter() - started


async def sample_once(db: Database, count: int) -> tuple[float, int]:
    tick = datetime.now(UTC)
    started = time.perf_counter()
    await asyncio.to_thread(sample_viewer_counts.send, tick.isoformat())
    sampled = 0
    while sampled < count:
        await asyncio.sleep(0.05)
        sampled = await db.fetch_value(
            sa.select(sa.func.count())
            .select_from(streams)
            .where(streams.c.viewer_count_sampled_at == tick)
        )
        if time.perf_counter() - started > 300:
            break
    return time.perf_counter() - started, sampled


async def bench(
    database_url: str, arguments: argparse.Namespace
) -> list[tuple[str, float, int]]:
    port = free_port()
    settings = get_settings().model_copy(
        update={
            "database_url": database_url,
            "redis_namespace": f"livestream-bench-{uuid.uuid4().hex[:8]}",
            "cloudflare_api_base": f"http://127.0.0.1:{port}/client/v4",
            "cloudflare_delivery_base": f"http://127.0.0.1:{port}",
            "worker_metrics_enabled": False,
        }
    )
    emulator = start_emulator(port)
    db = await open_database(settings)
    broker = setup_broker(settings)
    worker = Worker(broker, worker_threads=settings.worker_threads, worker_timeout=100)
    results: list[tuple[str, float, int]] = []
    try:
        await wait_for_port(port)
        started = time.perf_counter()
        uids = await seed(db, settings, arguments.streams)
        print(
            f"seeded {len(uids)} live inputs and streams in {time.perf_counter() - started:.1f} s"
        )
        bind_actors(broker)
        await asyncio.to_thread(worker.start)
        for round_number in range(1, arguments.rounds + 1):
            seconds = await baseline(settings, uids)
            results.append(
                (f"baseline GET /views only, round {round_number}", seconds, len(uids))
            )
            seconds, sampled = await sample_once(db, len(uids))
            results.append(
                (f"sampling through the worker, round {round_number}", seconds, sampled)
            )
    finally:
        await asyncio.to_thread(worker.stop)
        await asyncio.to_thread(broker.flush_all)
        # The broker's heartbeat set outlives flush_all; drop it with the namespace.
        await asyncio.to_thread(
            broker.client.delete, f"{broker.namespace}:__heartbeats__"
        )
        broker.close()
        bind_actors(workers.broker)
        await db.close()
        emulator.terminate()
        emulator.wait(timeout=10)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--streams", type=int, default=10_000, help="live streams to sample"
    )
    parser.add_argument(
        "--rounds", type=int, default=2, help="baseline and sampling runs each"
    )
    arguments = parser.parse_args()

    settings = get_settings()
    with scratch_database(settings.database_url, "viewers") as database_url:
        print(f"machine: {machine_summary(database_url)}")
        results = asyncio.run(bench(database_url, arguments))

    interval = settings.viewer_sample_interval_seconds
    print(
        f"streams: {arguments.streams}, batch size: {settings.viewer_sample_batch_size}, "
        f"concurrency per batch: {settings.viewer_sample_concurrency}, "
        f"worker threads: {settings.worker_threads}"
    )
    print()
    print("| run | seconds | streams | streams/s | share of the interval |")
    print("| --- | --- | --- | --- | --- |")
    for name, seconds, count in results:
        print(
            f"| {name} | {seconds:.2f} | {count} | {count / seconds:,.0f} | "
            f"{seconds / interval:.0%} of {interval:.0f} s |"
        )
    sampling = [row for row in results if row[0].startswith("sampling")]
    complete = all(count == arguments.streams for _, _, count in sampling)
    worst = max(seconds for _, seconds, _ in sampling)
    print()
    print(
        f"slowest sampling round {worst:.2f} s against the {interval:.0f} s interval: "
        f"{'met' if complete and worst <= interval else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
