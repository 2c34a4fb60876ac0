"""Per-token request budget, after Cloudflare's API rate limit.

Cloudflare allows 1,200 requests per five minutes per token and then rejects
every call with 429 for the next five minutes. The emulator counts requests in
fixed windows and, once a token exceeds its budget, locks it out for one
window length.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RateDecision:
    """Outcome of one request: allowed or not, and the numbers for the headers."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    retry_after: int | None = None


@dataclass
class _Window:
    started: float
    count: int = 0
    locked_until: float = 0.0


class TokenRateLimiter:
    """Counts requests per token; not thread-safe, used on one event loop."""

    def __init__(
        self,
        limit: int,
        window_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1:
            raise ValueError(f"rate limit must be 1 or more, got {limit}")
        if window_seconds <= 0:
            raise ValueError(
                f"rate-limit window must be positive, got {window_seconds}"
            )
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._windows: dict[str, _Window] = {}

    def check(self, token: str) -> RateDecision:
        """Count one request for ``token`` and decide whether it may proceed."""
        now = self._clock()
        window = self._windows.get(token)
        if window is None or (
            now - window.started >= self.window_seconds and now >= window.locked_until
        ):
            window = _Window(started=now)
            self._windows[token] = window
        if now < window.locked_until:
            wait = _whole_seconds(window.locked_until - now)
            return RateDecision(False, self.limit, 0, wait, retry_after=wait)
        window.count += 1
        reset = _whole_seconds(window.started + self.window_seconds - now)
        if window.count > self.limit:
            window.locked_until = now + self.window_seconds
            wait = _whole_seconds(self.window_seconds)
            return RateDecision(False, self.limit, 0, wait, retry_after=wait)
        return RateDecision(True, self.limit, self.limit - window.count, reset)


def _whole_seconds(seconds: float) -> int:
    return max(1, math.ceil(seconds))
