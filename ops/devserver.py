"""Run every process of the stack in the foreground; Ctrl-C stops them all.

``make run`` calls this after preparing the database. Without Cloudflare
credentials it also starts the local Cloudflare emulator, first, so the API
can create live inputs from its first request.

Each process runs in its own session, so the terminal's Ctrl-C reaches only
this supervisor, which then sends SIGTERM to each process exactly once: a
second signal makes Dramatiq kill its worker processes without a clean
shutdown. Whatever is left of a process group after the timeout is killed.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time

from core.logs import configure_logging
from core.settings import Settings, get_settings

logger = logging.getLogger(__name__)

#: Seconds each process group gets to exit after SIGTERM before it is killed.
STOP_TIMEOUT_SECONDS = 15.0
#: Seconds the API gets to start listening before the supervisor gives up.
START_TIMEOUT_SECONDS = 60.0


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


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass


def _stop_all(running: dict[str, subprocess.Popen[bytes]]) -> None:
    for process in running.values():
        if process.poll() is None:
            # Only the leader: Dramatiq passes the signal on to its workers.
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for name, process in running.items():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            logger.warning("process did not stop in time process=%s; killing it", name)
        # Children of a process (Dramatiq's worker processes) share its group.
        _signal_group(process, signal.SIGKILL)
        process.wait()


def _announce_when_ready(settings: Settings, started: float) -> bool:
    host = "127.0.0.1" if settings.api_host in {"0.0.0.0", "::"} else settings.api_host
    if _listening(host, settings.api_port):
        logger.info(
            "API listening on http://%s:%s", settings.api_host, settings.api_port
        )
        return True
    if time.monotonic() - started > START_TIMEOUT_SECONDS:
        logger.warning(
            "API not listening on port %s after %.0f s; check its log above",
            settings.api_port,
            START_TIMEOUT_SECONDS,
        )
        return True
    return False


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
        running[name] = subprocess.Popen(argv, start_new_session=True)
    if settings.cloudflare_emulated:
        logger.info(
            "no CLOUDFLARE_API_TOKEN set: using the Cloudflare emulator at %s",
            settings.emulator_origin,
        )

    exit_code = 0
    started = time.monotonic()
    announced = False
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
        if not announced:
            announced = _announce_when_ready(settings, started)
        time.sleep(0.5)

    logger.info("stopping all processes")
    _stop_all(running)
    logger.info("all processes stopped")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
