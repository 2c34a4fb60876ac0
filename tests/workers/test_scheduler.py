"""The scheduler: one enqueue per job and time bucket, however many schedulers run."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from core.redis import open_redis
from workers.broker import setup_broker
from workers.scheduler import PeriodicJob, Scheduler, bucket_of, periodic_jobs
from workers.viewers import sample_viewer_counts

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def queued(broker, queue_name):
    return broker.queues[queue_name].qsize()


async def test_two_schedulers_one_enqueue_per_bucket(base_settings, redis_client):
    settings = base_settings.model_copy(update={"worker_metrics_enabled": False})
    broker = setup_broker(settings, stub=True)
    job = PeriodicJob("sample_viewers", sample_viewer_counts, 30.0)
    first = Scheduler(settings, open_redis(settings), broker)
    second = Scheduler(settings, open_redis(settings), broker)

    results = await asyncio.gather(
        first.run_job(job, T0 + timedelta(seconds=1)),
        second.run_job(job, T0 + timedelta(seconds=2)),
    )
    assert sorted(results) == [False, True]
    assert queued(broker, "viewers") == 1

    # The next bucket is claimed again, by either scheduler.
    assert await second.run_job(job, T0 + timedelta(seconds=31)) is True
    assert await first.run_job(job, T0 + timedelta(seconds=45)) is False
    assert queued(broker, "viewers") == 2

    await first.redis.aclose()
    await second.redis.aclose()


async def test_scheduler_message_carries_bucket_start(base_settings, redis_client):
    settings = base_settings.model_copy(update={"worker_metrics_enabled": False})
    broker = setup_broker(settings, stub=True)
    job = PeriodicJob("sample_viewers", sample_viewer_counts, 30.0)
    scheduler = Scheduler(settings, open_redis(settings), broker)

    await scheduler.run_job(job, T0 + timedelta(seconds=29))

    message = broker.queues["viewers"].get_nowait()
    assert b'"2026-03-01T12:00:00+00:00"' in message
    await scheduler.redis.aclose()


def test_bucket_of_aligns_to_epoch():
    assert bucket_of(T0, 60.0) == int(T0.timestamp()) // 60
    assert bucket_of(T0 + timedelta(seconds=59), 60.0) == bucket_of(T0, 60.0)
    assert bucket_of(T0 + timedelta(seconds=60), 60.0) == bucket_of(T0, 60.0) + 1


async def test_scheduler_builds_every_job(base_settings, redis_client):
    settings = base_settings.model_copy(update={"worker_metrics_enabled": False})
    scheduler = Scheduler(
        settings, open_redis(settings), setup_broker(settings, stub=True)
    )

    apscheduler = scheduler.build()

    names = {job.id for job in apscheduler.get_jobs()}
    for job in periodic_jobs(settings):
        assert job.name in names
        assert f"{job.name}:startup" in names
    await scheduler.redis.aclose()
