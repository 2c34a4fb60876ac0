"""Run every benchmark in turn: ``python -m ops.bench`` (``make bench``).

Each benchmark creates and drops its own database and prints its figures
next to the baseline it measures in the same run. Pass names to run only
some of them, e.g. ``python -m ops.bench fanout search``.
"""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = ["viewer_sampling", "fanout", "uploads", "search"]


def main(argv: list[str]) -> int:
    names = argv or BENCHMARKS
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(
            f"error: unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}",
            file=sys.stderr,
        )
        return 2
    failed = []
    for name in names:
        print(f"\n== {name} ==", flush=True)
        if subprocess.run([sys.executable, "-m", f"ops.bench.{name}"]).returncode != 0:
            failed.append(name)
    if failed:
        print(f"error: benchmarks failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
