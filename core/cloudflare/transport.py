"""HTTP attempts against Cloudflare with a per-attempt timeout and bounded retries.

Retried: HTTP 429 (after ``retry-after`` when Cloudflare sends it), HTTP 5xx,
connection errors and timeouts, with exponential back-off and jitter, at most
``max_retries`` times after the first attempt. Any other status is returned to
the caller at once, so a 4xx is never retried.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
from multidict import CIMultiDict

from core.cloudflare.errors import (
    CloudflareError,
    CloudflareRateLimited,
    CloudflareTimeout,
)

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait before repeating a failed attempt.

    A 429 whose ``retry-after`` exceeds ``max_retry_after_seconds`` is raised
    at once as CloudflareRateLimited, because Cloudflare locks a token out for
    minutes and a request handler should not wait that long.
    """

    max_retries: int = 3
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 8.0
    max_retry_after_seconds: float = 30.0

    def backoff_seconds(self, retry_number: int) -> float:
        """Return the wait before retry ``retry_number`` (0-based).

        Half of the exponential step is fixed and half is random jitter.
        """
        ceiling = min(
            self.backoff_max_seconds, self.backoff_base_seconds * 2**retry_number
        )
        return float(ceiling / 2 + random.uniform(0, ceiling / 2))


@dataclass(frozen=True)
class RawResponse:
    """A response that the transport did not retry: status, headers and body bytes."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class Transport:
    """Sends one logical request, repeating attempts as the RetryPolicy allows."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        timeout_seconds: float,
        policy: RetryPolicy,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if timeout_seconds <= 0:
            raise ValueError(f"timeout_seconds must be positive, got {timeout_seconds}")
        if policy.max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, got {policy.max_retries}")
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._timeout_seconds = timeout_seconds
        self._policy = policy
        self._sleep = sleep

    async def request(
        self,
        operation: str,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        json_body: Any = None,
        uid: str | None = None,
    ) -> RawResponse:
        """Return the first response that is neither 429 nor 5xx.

        Raises CloudflareRateLimited, CloudflareTimeout or CloudflareError when
        the last allowed attempt still fails.
        """
        for attempt in range(self._policy.max_retries + 1):
            outcome, delay = await self._attempt(
                operation, method, url, headers, json_body, attempt
            )
            if isinstance(outcome, RawResponse):
                return outcome
            if attempt == self._policy.max_retries or delay is None:
                raise outcome
            logger.warning(
                "Cloudflare call failed, retrying operation=%s live_input_uid=%s "
                "attempt=%s max_retries=%s delay_seconds=%.2f error=%s",
                operation,
                uid,
                attempt + 1,
                self._policy.max_retries,
                delay,
                outcome,
            )
            await self._sleep(delay)
        raise AssertionError("unreachable: the loop returns or raises")

    async def _attempt(
        self,
        operation: str,
        method: str,
        url: str,
        headers: Mapping[str, str],
        json_body: Any,
        attempt: int,
    ) -> tuple[RawResponse | CloudflareError, float | None]:
        """Make one attempt and return the response, or the error and the retry wait.

        A wait of None means the error must not be retried.
        """
        backoff = self._policy.backoff_seconds(attempt)
        try:
            async with self._session.request(
                method,
                url,
                headers=headers,
                json=json_body,
                timeout=self._timeout,
            ) as response:
                body = await response.read()
                status = response.status
                response_headers = CIMultiDict(response.headers)
        except TimeoutError:
            # aiohttp's timeouts subclass asyncio.TimeoutError, which is TimeoutError.
            return CloudflareTimeout(
                operation, f"no response within {self._timeout_seconds}s"
            ), backoff
        except aiohttp.ClientError as error:
            return CloudflareError(
                operation, f"connection failed: {type(error).__name__}: {error}"
            ), backoff

        raw = RawResponse(status=status, headers=response_headers, body=body)
        if status == 429:
            retry_after = parse_retry_after(raw.headers)
            code, message = first_envelope_error(raw.body)
            rate_limited = CloudflareRateLimited(
                operation,
                "rate limited",
                retry_after=retry_after,
                code=code,
                cf_message=message,
            )
            if retry_after is None:
                return rate_limited, backoff
            if retry_after > self._policy.max_retry_after_seconds:
                return rate_limited, None
            return rate_limited, retry_after
        if status >= 500:
            return error_from_response(operation, raw, "server error"), backoff
        return raw, None


def error_from_response(
    operation: str, raw: RawResponse, problem: str
) -> CloudflareError:
    """Build a CloudflareError carrying the status and the envelope's first error."""
    code, message = first_envelope_error(raw.body)
    return CloudflareError(
        operation,
        problem,
        http_status=raw.status,
        code=code,
        cf_message=message,
    )


def first_envelope_error(body: bytes) -> tuple[int | None, str | None]:
    """Return ``(code, message)`` of the envelope's first error, or ``(None, None)``."""
    try:
        document = json.loads(body)
    except ValueError:
        return None, None
    if not isinstance(document, dict):
        return None, None
    errors = document.get("errors")
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return None, None
    code = errors[0].get("code")
    message = errors[0].get("message")
    return (
        code if isinstance(code, int) and not isinstance(code, bool) else None,
        message if isinstance(message, str) else None,
    )


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Return the ``retry-after`` wait in seconds, or None if it is absent or invalid.

    ``headers`` must look names up case-insensitively. The value may be a
    number of seconds or an HTTP date.
    """
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = (moment - datetime.now(UTC)).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)
