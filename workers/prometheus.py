"""Worker metrics: Dramatiq's Prometheus middleware on a configurable address.

Dramatiq serves the metrics of every worker process from a forked process.
It reads its address from environment variables when its module is
imported; :func:`serve_worker_metrics` sets that address from
``WORKER_METRICS_HOST`` and ``WORKER_METRICS_PORT`` instead.
"""

from __future__ import annotations

import logging

from dramatiq.middleware import prometheus

from core.settings import get_settings

logger = logging.getLogger(__name__)


class WorkerMetrics(prometheus.Prometheus):
    """Dramatiq's Prometheus middleware, served on the configured address."""

    @property
    def forks(self):
        return [serve_worker_metrics]

    def after_process_boot(self, broker) -> None:
        super().after_process_boot(broker)
        # prometheus_client picks its value store when first imported. If
        # anything imported it before the multiprocess directory was set, the
        # metrics created from now on must still go to that directory.
        from prometheus_client import values

        values.ValueClass = values.get_value_class()


def serve_worker_metrics() -> int:
    """Serve the metrics of all worker processes over HTTP (a forked process)."""
    settings = get_settings()
    prometheus.HTTP_HOST = settings.worker_metrics_host
    prometheus.HTTP_PORT = settings.worker_metrics_port
    logger.info(
        "worker metrics served host=%s port=%s",
        settings.worker_metrics_host,
        settings.worker_metrics_port,
    )
    return prometheus._run_exposition_server()
