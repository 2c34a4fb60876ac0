"""Brokers and workers for actor tests: an in-memory StubBroker and a real Redis broker.

Each fixture binds every actor to its broker for the test and rebinds them
to the process broker afterwards. Blocking joins run in a thread, so the
test's event loop keeps serving the Cloudflare emulator the actors call.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import dramatiq
import pytest
from dramatiq import Worker
from dramatiq.brokers.stub import StubBroker

import workers
from core.settings import Settings
from workers.broker import QUEUES, bind_actors, broker_namespace, setup_broker


@dataclass
class RunningWorker:
    broker: dramatiq.Broker
    worker: Worker
    settings: Settings

    async def drain(self) -> None:
        """Wait until every queue is empty and the worker is idle; raise on dead letters."""
        await asyncio.to_thread(self._join)

    def _join(self) -> None:
        for _ in range(2):
            # Actors send messages to other queues, so go round twice.
            for queue_name in QUEUES:
                if isinstance(self.broker, StubBroker):
                    self.broker.join(queue_name, fail_fast=True)
                else:
                    self.broker.join(queue_name, timeout=30_000)
            self.worker.join()
        if not isinstance(self.broker, StubBroker):
            for queue_name in QUEUES:
                dead = self.broker.client.zcard(
                    f"{self.broker.namespace}:{queue_name}.XQ"
                )
                assert dead == 0, f"{dead} dead-lettered messages on queue {queue_name}"


@pytest.fixture
def worker_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "worker_metrics_enabled": False,
            "viewer_sample_batch_size": 2,
            "viewer_sample_concurrency": 3,
            "fanout_batch_size": 3,
        }
    )


async def _run(
    broker: dramatiq.Broker, settings: Settings
) -> AsyncIterator[RunningWorker]:
    bind_actors(broker)
    worker = Worker(broker, worker_timeout=50, worker_threads=2)
    await asyncio.to_thread(worker.start)
    try:
        yield RunningWorker(broker=broker, worker=worker, settings=settings)
    finally:
        await asyncio.to_thread(worker.stop)
        bind_actors(workers.broker)


@pytest.fixture
async def stub_worker(worker_settings: Settings, db) -> AsyncIterator[RunningWorker]:
    """A Worker on a StubBroker with the project's middleware."""
    broker = setup_broker(worker_settings, stub=True)
    async for running in _run(broker, worker_settings):
        yield running


@pytest.fixture
async def redis_worker(
    worker_settings: Settings, db, redis_client
) -> AsyncIterator[RunningWorker]:
    """A Worker on a Redis broker in this test run's namespace."""
    broker = setup_broker(worker_settings)
    assert broker.namespace == broker_namespace(worker_settings)
    try:
        async for running in _run(broker, worker_settings):
            yield running
    finally:
        await asyncio.to_thread(broker.flush_all)
        broker.close()
