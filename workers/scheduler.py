"""``python -m workers.scheduler``: enqueue the periodic jobs with APScheduler.

Each job fires at the start of every interval (aligned to the Unix epoch, so
all schedulers fire for the same time bucket). Before enqueueing, a
scheduler claims the bucket in Redis with ``SET <key> NX EX``; only the
scheduler whose claim succeeds enqueues. Several schedulers can therefore run
at once, for availability, and each bucket is enqueued once.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import signal
import socket
from dataclasses import dataclass
from datetime import UTC, datetime

import dramatiq
import redis.asyncio
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from core.clock import utc_now
from core.logs import configure_logging
from core.redis import open_redis, redis_key
from core.settings import Settings, get_settings
from workers.broker import setup_broker
from workers.maintenance import (
    apply_retention,
    reconcile_live_streams,
    retry_live_input_deletions,
)
from workers.search import drain_search_outbox
from workers.sending import enqueue
from workers.trending import recompute_rankings
from workers.viewers import sample_viewer_counts

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    """An actor sent once per ``interval_seconds`` with the bucket's start time."""

    name: str
    actor: dramatiq.Actor
    interval_seconds: float


def periodic_jobs(settings: Settings) -> list[PeriodicJob]:
    return [
        PeriodicJob(
            "sample_viewers",
            sample_viewer_counts,
            settings.viewer_sample_interval_seconds,
        ),
        PeriodicJob(
            "recompute_rankings", recompute_rankings, settings.trending_interval_seconds
        ),
        PeriodicJob(
            "reconcile_live_streams",
            reconcile_live_streams,
            settings.reconciliation_interval_seconds,
        ),
        PeriodicJob(
            "apply_retention", apply_retention, settings.retention_interval_seconds
        ),
        PeriodicJob(
            "retry_live_input_deletions",
            retry_live_input_deletions,
            settings.live_input_deletion_interval_seconds,
        ),
        PeriodicJob(
            "drain_search_outbox",
            drain_search_outbox,
            settings.search_outbox_interval_seconds,
        ),
    ]


def bucket_of(at: datetime, interval_seconds: float) -> int:
    """Number the interval that contains ``at``, counting from the Unix epoch."""
    return math.floor(at.timestamp() / interval_seconds)


class Scheduler:
    """Claims time buckets in Redis and enqueues the periodic jobs' messages."""

    def __init__(
        self,
        settings: Settings,
        redis_client: redis.asyncio.Redis,
        broker: dramatiq.Broker,
    ) -> None:
        self.settings = settings
        self.redis = redis_client
        self.broker = broker
        self.instance = f"{socket.gethostname()}:{os.getpid()}:{id(self)}"

    async def run_job(self, job: PeriodicJob, now: datetime | None = None) -> bool:
        """Enqueue ``job`` for the bucket containing ``now`` unless another run claimed it.

        Returns True when this call enqueued the message.
        """
        now = now or utc_now()
        bucket = bucket_of(now, job.interval_seconds)
        key = redis_key(self.settings, "scheduler", job.name, bucket)
        ttl = max(1, math.ceil(job.interval_seconds * 2))
        claimed = await self.redis.set(key, self.instance, nx=True, ex=ttl)
        if not claimed:
            logger.debug(
                "job bucket already claimed job=%s bucket=%s", job.name, bucket
            )
            return False

        tick_at = datetime.fromtimestamp(bucket * job.interval_seconds, UTC).isoformat()
        try:
            await enqueue(self.broker, [job.actor.message(tick_at)])
        except Exception:
            # Release the claim so another scheduler, or the next tick, can retry.
            await self.redis.delete(key)
            logger.exception("job enqueue failed job=%s tick_at=%s", job.name, tick_at)
            return False
        logger.debug("job enqueued job=%s tick_at=%s", job.name, tick_at)
        return True

    def build(self) -> AsyncIOScheduler:
        """Create an APScheduler that runs every periodic job at each bucket start."""
        scheduler = AsyncIOScheduler(timezone=UTC)
        now = utc_now()
        for job in periodic_jobs(self.settings):
            next_bucket = bucket_of(now, job.interval_seconds) + 1
            start = datetime.fromtimestamp(next_bucket * job.interval_seconds, UTC)
            scheduler.add_job(
                self.run_job,
                IntervalTrigger(
                    seconds=job.interval_seconds, start_date=start, timezone=UTC
                ),
                args=[job],
                id=job.name,
                name=job.name,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=max(1, int(job.interval_seconds / 2)),
            )
            # Also run once now, so a fresh start does not wait a whole interval.
            scheduler.add_job(self.run_job, args=[job], id=f"{job.name}:startup")
        return scheduler


async def run_scheduler(settings: Settings) -> None:
    """Run the scheduler until SIGINT or SIGTERM."""
    redis_client = open_redis(settings)
    broker = setup_broker(settings, metrics=False)
    scheduler = Scheduler(settings, redis_client, broker).build()
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopped.set)

    scheduler.start()
    logger.info("scheduler started jobs=%s", len(periodic_jobs(settings)))
    try:
        await stopped.wait()
    finally:
        scheduler.shutdown(wait=False)
        await redis_client.aclose()
        broker.close()
        logger.info("scheduler stopped")


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level)
    # APScheduler logs every run at INFO; our own lines say what was enqueued.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    asyncio.run(run_scheduler(settings))


if __name__ == "__main__":
    main()
