"""Measure avatar and banner uploads per second through the API.

Usage: ``python -m ops.bench.uploads [--uploads 40] [--concurrency 2] [--rounds 3]``

The script makes a photo-like JPEG of about 2 MB and starts the API on a free
loopback port. The API uses a temporary database (created next to
``DATABASE_URL`` and dropped at the end), a temporary media directory and
``REDIS_URL``. The script posts the photo as an avatar and as a banner.

As the baseline it runs Pillow's own decode, ``Image.resize`` to the same
size and JPEG encode on the same bytes, in the same process and with the same
concurrency. Each figure is the median of several rounds. The output is a
Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import platform
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import psycopg2
from aiohttp import web
from PIL import Image

from api.app import create_app
from core.db import open_database
from core.identity import create_user, issue_api_key
from core.media.images import AVATAR, BANNER, ImageSpec, process_image
from core.settings import Settings, get_settings
from ops.database import ensure_database, migrate

#: Upper bound of the sample photo, below the 2 MiB avatar limit.
PHOTO_MAX_BYTES = 2 * 1024 * 1024 - 32 * 1024


def make_photo() -> bytes:
    """Return a 3000x2000 noisy-gradient JPEG just under ``PHOTO_MAX_BYTES``."""
    gradient = Image.linear_gradient("L").resize((3000, 2000))
    noise = Image.effect_noise((3000, 2000), 40)
    blurred = noise.resize((750, 500)).resize((3000, 2000), Image.Resampling.BICUBIC)
    image = Image.merge("RGB", (gradient, blurred, noise))
    for quality in range(98, 40, -2):
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=quality)
        if buffer.tell() <= PHOTO_MAX_BYTES:
            return buffer.getvalue()
    raise RuntimeError("could not encode the sample photo under the size limit")


def pillow_resize(data: bytes, spec: ImageSpec) -> bytes:
    """Decode, stretch with a plain ``Image.resize`` and encode as JPEG."""
    with Image.open(io.BytesIO(data)) as image:
        resized = image.convert("RGB").resize(
            (spec.width, spec.height), Image.Resampling.LANCZOS
        )
    buffer = io.BytesIO()
    resized.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


async def run_concurrently(
    count: int, concurrency: int, task: Callable[[], Awaitable[None]]
) -> float:
    """Run ``task`` ``count`` times, ``concurrency`` at once; return runs per second."""
    remaining = count

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await task()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return count / (time.perf_counter() - started)


async def bench_in_process(
    data: bytes,
    spec: ImageSpec,
    count: int,
    concurrency: int,
    function: Callable[[bytes, ImageSpec], object],
) -> float:
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=concurrency) as executor:

        async def task() -> None:
            await loop.run_in_executor(executor, function, data, spec)

        return await run_concurrently(count, concurrency, task)


async def bench_api(
    settings: Settings, data: bytes, arguments: argparse.Namespace, max_pixels: int
) -> list[tuple[str, ImageSpec, float, float, float]]:
    """Return (kind, spec, API/s, process_image/s, baseline/s) medians per kind.

    The three measurements alternate within each round, so that load from
    other processes on the machine affects all three alike.
    """
    database = await open_database(settings)
    app = create_app(settings, database=database)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    count, concurrency = arguments.uploads, arguments.concurrency

    def pipeline(payload: bytes, spec: ImageSpec) -> object:
        return process_image(payload, spec, max_pixels=max_pixels)

    try:
        user = await create_user(
            database,
            username=f"bench_{uuid.uuid4().hex[:12]}",
            email=f"bench-{uuid.uuid4().hex[:12]}@example.com",
            password="benchmark password",
        )
        key, _ = await issue_api_key(database, user["id"], "bench")
        headers = {"Authorization": f"Bearer {key}"}
        rows = []
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as session:
            for kind, spec in (("avatar", AVATAR), ("banner", BANNER)):

                async def upload(kind: str = kind) -> None:
                    form = aiohttp.FormData()
                    form.add_field(
                        "file", data, filename="photo.jpg", content_type="image/jpeg"
                    )
                    path = f"/api/v1/streams/me/profile/{kind}"
                    async with session.post(
                        path, data=form, headers=headers
                    ) as response:
                        if response.status != 200:
                            text = await response.text()
                            raise RuntimeError(
                                f"{kind} upload failed: {response.status} {text}"
                            )

                await upload()  # warm-up
                api_rates, pipeline_rates, baseline_rates = [], [], []
                for _ in range(arguments.rounds):
                    api_rates.append(await run_concurrently(count, concurrency, upload))
                    pipeline_rates.append(
                        await bench_in_process(data, spec, count, concurrency, pipeline)
                    )
                    baseline_rates.append(
                        await bench_in_process(
                            data, spec, count, concurrency, pillow_resize
                        )
                    )
                rows.append(
                    (
                        kind,
                        spec,
                        statistics.median(api_rates),
                        statistics.median(pipeline_rates),
                        statistics.median(baseline_rates),
                    )
                )
        return rows
    finally:
        await runner.cleanup()
        await database.close()


def temporary_database_url(database_url: str) -> str:
    parts = urlsplit(database_url)
    name = f"{parts.path.lstrip('/')}_bench_{uuid.uuid4().hex[:8]}"
    return urlunsplit(parts._replace(path=f"/{name}"))


def drop_database(database_url: str) -> None:
    parts = urlsplit(database_url)
    connection = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)'
            )
    finally:
        connection.close()


async def main_async(arguments: argparse.Namespace) -> None:
    data = make_photo()
    with Image.open(io.BytesIO(data)) as image:
        size = image.size
    base = get_settings()
    database_url = temporary_database_url(base.database_url)
    ensure_database(database_url)
    try:
        migrate(database_url)
        with tempfile.TemporaryDirectory() as media_root:
            settings = base.model_copy(
                update={
                    "database_url": database_url,
                    "media_root": Path(media_root),
                    "media_storage": "local",
                    "redis_namespace": f"bench-{uuid.uuid4().hex[:8]}",
                }
            )
            rows = await bench_api(
                settings, data, arguments, base.media_max_image_pixels
            )
    finally:
        drop_database(database_url)

    print(f"photo: {size[0]}x{size[1]} JPEG, {len(data)} bytes")
    print(
        f"machine: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(
        f"uploads per measurement: {arguments.uploads}, "
        f"concurrency: {arguments.concurrency}, "
        f"median of {arguments.rounds} rounds"
    )
    print()
    print(
        "| kind | output | API uploads/s | process_image/s "
        "| Pillow resize/s (baseline) | API / baseline |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for kind, spec, api_rate, pipeline, baseline in rows:
        print(
            f"| {kind} | {spec.width}x{spec.height} | {api_rate:.1f} "
            f"| {pipeline:.1f} | "
            f"{baseline:.1f} | {api_rate / baseline:.2f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--uploads", type=int, default=40, help="uploads per kind (default 40)"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=2,
        help="requests or threads in flight at once (default 2)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds per figure; the median is shown (default 3)",
    )
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
