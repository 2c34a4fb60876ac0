"""``python -m workers``: run the Dramatiq workers with the project's settings.

``WORKER_PROCESSES`` and ``WORKER_THREADS`` set the process and thread
counts; other arguments go to Dramatiq's command line unchanged, e.g.
``python -m workers --queues viewers``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from dramatiq.cli import main as dramatiq_main
from dramatiq.cli import make_argument_parser

from core.settings import get_settings


def prepare_metrics_directory(namespace: str) -> Path:
    """Give this deployment's workers their own, empty Prometheus directory.

    Dramatiq's Prometheus middleware keeps one file per worker process in
    ``$dramatiq_prom_db`` (default ``/tmp/dramatiq-prometheus``, shared by
    every Dramatiq program on the host) and sums them all. A directory per
    Redis namespace, emptied at start, reports this deployment's live
    processes only.
    """
    directory = Path(tempfile.gettempdir()) / f"dramatiq-prometheus-{namespace}"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    return directory


def main(argv: list[str]) -> int:
    settings = get_settings()
    os.environ["dramatiq_prom_db"] = str(
        prepare_metrics_directory(settings.redis_namespace)
    )
    arguments = make_argument_parser().parse_args(
        [
            "workers",
            "--processes",
            str(settings.worker_processes),
            "--threads",
            str(settings.worker_threads),
            *argv,
        ]
    )
    return dramatiq_main(arguments)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
