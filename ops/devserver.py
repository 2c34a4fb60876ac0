"""Run every process of the stack in the foreground; Ctrl-C stops them all.

``make run`` calls this after preparing the database. Without Cloudflare
credentials it also starts the local Cloudflare emulator, first, so the API
can create live inputs from its first request.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time

from core.logs import configure_logging
from core.settings import get_settings

logger = logging.getLogger(__name__)

#: Seconds each process gets to exit after SIGTERM before it is killed.
STOP_TIMEOUT_SECONDS = 10.0


def commands(emulated: bool) -> list[tuple[str, list[str]]]:
    python = sys.executable
    processes = []
    if emulated:
        processes.append(("emulator", [python, "-m", "ops.cloudflare_emulator"]))
    processes += [
        ("api", [python, "-m", "api"]),
        ("worker", [python, "-m", "workers"]),
        ("scheduler", [python, "-m", "workers.scheduler"]),
    ]
    return processes


def main() -> int:
    configure_logging("INFO")
    settings = get_settings()
    running: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    for name, argv in commands(settings.cloudflare_emulated):
        logger.info("starting process=%s command=%s", name, " ".join(argv[1:]))
        running[name] = subprocess.Popen(argv)
    if settings.cloudflare_emulated:
        logger.info(
            "no CLOUDFLARE_API_TOKEN set: using the Cloudflare emulator at %s",
            settings.emulator_origin,
        )
    logger.info("API listening on http://%s:%s", settings.api_host, settings.api_port)

    exit_code = 0
    while not stopping:
        for name, process in running.items():
            code = process.poll()
            if code is not None:
                logger.error(
                    "process exited process=%s code=%s; stopping the others", name, code
                )
                exit_code = code or 1
                stopping = True
                break
        time.sleep(0.5)

    for process in running.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for name, process in running.items():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            logger.warning("process did not stop in time process=%s; killing it", name)
            process.kill()
    logger.info("all processes stopped")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
