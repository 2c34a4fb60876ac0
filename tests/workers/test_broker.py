"""Broker setup: middleware order, namespace, dead letters on a real Redis broker."""

from __future__ import annotations

import asyncio

import dramatiq
from dramatiq import Worker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import AsyncIO, Retries

import workers
from workers.broker import QUEUES, setup_broker
from workers.dead_letters import list_dead_letters, requeue_dead_letters
from workers.resources import WorkerResourcesMiddleware


def test_setup_broker_middleware_order(base_settings):
    settings = base_settings.model_copy(update={"worker_metrics_enabled": False})

    broker = setup_broker(settings)

    kinds = [type(middleware) for middleware in broker.middleware]
    assert isinstance(broker, RedisBroker)
    assert broker.namespace == f"{settings.redis_namespace}-dramatiq"
    assert kinds.index(AsyncIO) < kinds.index(WorkerResourcesMiddleware)
    assert Retries in kinds
    assert set(QUEUES) <= broker.get_declared_queues()


def test_setup_broker_metrics_flag(base_settings):
    from workers.prometheus import WorkerMetrics

    on = setup_broker(base_settings.model_copy(update={"worker_metrics_enabled": True}))
    off = setup_broker(base_settings, metrics=False)

    assert any(isinstance(m, WorkerMetrics) for m in on.middleware)
    assert not any(isinstance(m, WorkerMetrics) for m in off.middleware)


def test_package_declares_every_actor():
    names = {actor.actor_name for actor in workers.ACTORS}

    assert {
        "sample_viewer_counts",
        "sample_viewer_batch",
        "recompute_rankings",
        "notify_followers_of_live",
        "notify_new_follower",
        "check_stream_end",
        "reconcile_live_streams",
        "apply_retention",
        "retry_live_input_deletions",
        "stream_ended",
    } <= names


async def test_dead_letter_list_and_requeue(base_settings, db, redis_client):
    settings = base_settings.model_copy(
        update={"worker_metrics_enabled": False, "worker_max_retries": 0}
    )
    broker = setup_broker(settings)

    @dramatiq.actor(broker=broker, queue_name="maintenance", actor_name="always_fails")
    async def always_fails() -> None:
        raise RuntimeError("planned failure")

    worker = Worker(broker, worker_timeout=50, worker_threads=1)
    await asyncio.to_thread(worker.start)
    try:
        always_fails.send()
        await asyncio.to_thread(broker.join, "maintenance", timeout=10_000)
    finally:
        await asyncio.to_thread(worker.stop)
    dead = await redis_client.zcard(f"{broker.namespace}:maintenance.XQ")
    listed = await asyncio.to_thread(list_dead_letters, broker, "maintenance")
    requeued = await asyncio.to_thread(requeue_dead_letters, broker, "maintenance")
    dead_after = await redis_client.zcard(f"{broker.namespace}:maintenance.XQ")
    queued = await redis_client.hlen(f"{broker.namespace}:maintenance.msgs")
    await asyncio.to_thread(broker.flush_all)
    broker.close()

    assert dead == 1
    assert [message.actor_name for message in listed] == ["always_fails"]
    assert requeued == 1
    assert dead_after == 0
    assert queued == 1
