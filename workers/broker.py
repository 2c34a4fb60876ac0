"""The Dramatiq broker every process uses: API and scheduler to send, workers to run.

Middleware, in order (``after_*`` hooks run in reverse):

- Dramatiq's defaults: AgeLimit, TimeLimit (``WORKER_TIME_LIMIT_SECONDS``
  unless an actor sets its own), ShutdownNotifications, Callbacks, Pipelines;
- Retries with exponential backoff from 1 s to 5 min and at most
  ``WORKER_MAX_RETRIES`` retries. A message that exhausts them is
  dead-lettered: the Redis broker keeps it in the queue's ``.XQ`` sorted set
  for 7 days (see :mod:`workers.dead_letters`);
- AsyncIO, which runs ``async def`` actors on one event loop per process;
- :class:`workers.resources.WorkerResourcesMiddleware`, which opens the
  database pool, Redis client, HTTP session and Cloudflare client on that
  loop when a worker boots and closes them when it stops;
- Prometheus (:class:`workers.prometheus.WorkerMetrics`) when
  ``WORKER_METRICS_ENABLED`` is true and the broker is not a stub.

Shutdown: a stopping worker finishes the messages it is running and returns
the prefetched ones to their queue; Redis also requeues the unacknowledged
messages of a worker that died, once its heartbeat times out. Messages are
acknowledged only after the actor returns, so none is lost on a restart.
"""

from __future__ import annotations

import logging

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import (
    AgeLimit,
    AsyncIO,
    Callbacks,
    Middleware,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

from core.settings import Settings
from workers.resources import WorkerResourcesMiddleware

logger = logging.getLogger(__name__)

#: Every queue the actors use; a worker consumes all of them.
QUEUES = ("viewers", "trending", "notifications", "maintenance")

MIN_BACKOFF_MS = 1_000
MAX_BACKOFF_MS = 300_000


def broker_namespace(settings: Settings) -> str:
    return f"{settings.redis_namespace}-dramatiq"


def build_middleware(settings: Settings, *, metrics: bool) -> list[Middleware]:
    middleware: list[Middleware] = [
        AgeLimit(),
        TimeLimit(time_limit=int(settings.worker_time_limit_seconds * 1000)),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        Retries(
            max_retries=settings.worker_max_retries,
            min_backoff=MIN_BACKOFF_MS,
            max_backoff=MAX_BACKOFF_MS,
        ),
        AsyncIO(),
        WorkerResourcesMiddleware(settings),
    ]
    if metrics:
        # Imported here: Dramatiq's Prometheus module creates its data
        # directory when it is imported.
        from workers.prometheus import WorkerMetrics

        middleware.append(WorkerMetrics())
    return middleware


def setup_broker(
    settings: Settings, *, stub: bool = False, metrics: bool | None = None
) -> dramatiq.Broker:
    """Build a broker with the project's middleware; no connection opens yet.

    ``stub=True`` builds an in-memory StubBroker for fast tests. ``metrics``
    adds the Prometheus middleware; it defaults to ``WORKER_METRICS_ENABLED``
    for a Redis broker and is off for a stub. Processes that only send
    messages pass ``metrics=False``. The Redis broker prefixes its keys with
    ``<REDIS_NAMESPACE>-dramatiq``.
    """
    if metrics is None:
        metrics = settings.worker_metrics_enabled and not stub
    middleware = build_middleware(settings, metrics=metrics)
    broker: dramatiq.Broker
    if stub:
        broker = StubBroker(middleware=middleware)
    else:
        broker = RedisBroker(
            url=settings.redis_url,
            namespace=broker_namespace(settings),
            middleware=middleware,
        )
    for queue_name in QUEUES:
        broker.declare_queue(queue_name)
    return broker


def declare_actors(broker: dramatiq.Broker) -> None:
    """Declare every project actor on ``broker`` so it can enqueue their messages."""
    for actor in all_actors():
        broker.declare_actor(actor)


def bind_actors(broker: dramatiq.Broker) -> None:
    """Declare every actor on ``broker`` and make their ``send`` use it.

    Actors are declared on the process broker when ``workers`` is imported;
    tests bind them to a broker of their own settings.
    """
    for actor in all_actors():
        actor.broker = broker
        broker.declare_actor(actor)


def all_actors() -> list[dramatiq.Actor]:
    import workers

    return list(workers.ACTORS)
