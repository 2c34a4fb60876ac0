"""Metrics that the actors record, beyond the ones Dramatiq keeps per message."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prometheus_client import Counter

_viewer_read_failures: Counter | None = None


def count_viewer_read_failures(count: int) -> None:
    """Add ``count`` failed viewer-count reads to ``viewer_count_read_failures_total``."""
    global _viewer_read_failures
    if count <= 0:
        return
    if _viewer_read_failures is None:
        # Created on first use, after the worker process set up the
        # multiprocess directory, so the metrics process can read it.
        from prometheus_client import Counter

        _viewer_read_failures = Counter(
            "viewer_count_read_failures_total",
            "Viewer-count reads from Cloudflare that failed; the stream kept its last value.",
        )
    _viewer_read_failures.inc(count)
