"""``python -m workers``: run the Dramatiq workers with the project's settings.

``WORKER_PROCESSES`` and ``WORKER_THREADS`` set the process and thread
counts; other arguments go to Dramatiq's command line unchanged, e.g.
``python -m workers --queues viewers``.
"""

from __future__ import annotations

import sys

from dramatiq.cli import main as dramatiq_main
from dramatiq.cli import make_argument_parser

from core.settings import get_settings


def main(argv: list[str]) -> int:
    settings = get_settings()
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
