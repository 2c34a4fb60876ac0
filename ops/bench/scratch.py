"""Shared set-up of the workers' benchmarks: a throw-away database and the machine summary."""

from __future__ import annotations

import os
import platform
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2

from ops.database import ensure_database, migrate


def _admin_url(database_url: str) -> str:
    return urlunsplit(urlsplit(database_url)._replace(path="/postgres"))


@contextmanager
def scratch_database(database_url: str, label: str) -> Iterator[str]:
    """Create and migrate ``livestream_bench_<label>_<random>`` next to ``database_url``;
    drop it on exit, also after an error or Ctrl-C."""
    name = f"livestream_bench_{label}_{uuid.uuid4().hex[:8]}"
    url = urlunsplit(urlsplit(database_url)._replace(path=f"/{name}"))
    ensure_database(url)
    try:
        migrate(url)
        yield url
    finally:
        connection = psycopg2.connect(_admin_url(database_url))
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            connection.close()


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _memory_gib() -> str:
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return "unknown"


def machine_summary(database_url: str) -> str:
    """Describe CPUs, RAM, Python and PostgreSQL, for the benchmark record."""
    connection = psycopg2.connect(database_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            (server_version,) = cursor.fetchone()
    finally:
        connection.close()
    try:
        nproc = subprocess.run(
            ["nproc"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        nproc = str(os.cpu_count())
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"nproc {nproc}, CPU {_cpu_model()}, RAM {_memory_gib()}, "
        f"Python {platform.python_version()}, PostgreSQL {server_version}, "
        f"load average {load}"
    )
