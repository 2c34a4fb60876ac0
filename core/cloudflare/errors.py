"""Errors raised by the Cloudflare Stream client.

They extend the project's error tree, so the API responds with 502 to any of them::

    core.errors.UpstreamError
    └── CloudflareError            a Cloudflare call failed
        ├── LiveInputNotFound      the live input does not exist (also a LookupError)
        ├── CloudflareRateLimited  HTTP 429, carries ``retry_after`` seconds
        └── CloudflareTimeout      no response in time (also UpstreamTimeout)

Messages name the operation, the HTTP status and Cloudflare's error code. They
never contain a token, a stream key or a response body.
"""

from __future__ import annotations

from core.errors import UpstreamError, UpstreamTimeout


class CloudflareError(UpstreamError):
    """A Cloudflare Stream call failed.

    ``operation`` is the client method (``create_live_input``, ...),
    ``http_status`` the last response status (None without a response), ``code``
    the first code in the envelope's ``errors`` list and ``cf_message`` its
    message.
    """

    def __init__(
        self,
        operation: str,
        problem: str,
        *,
        http_status: int | None = None,
        code: int | None = None,
        cf_message: str | None = None,
    ) -> None:
        self.operation = operation
        self.http_status = http_status
        self.code = code
        self.cf_message = cf_message
        super().__init__(_describe(operation, problem, http_status, code, cf_message))


class LiveInputNotFound(CloudflareError, LookupError):
    """Cloudflare has no live input with the requested uid (HTTP 404)."""


class CloudflareRateLimited(CloudflareError):
    """HTTP 429 from Cloudflare, after the retries ran out or with too long a wait."""

    def __init__(
        self,
        operation: str,
        problem: str,
        *,
        retry_after: float | None,
        http_status: int | None = 429,
        code: int | None = None,
        cf_message: str | None = None,
    ) -> None:
        super().__init__(
            operation,
            problem,
            http_status=http_status,
            code=code,
            cf_message=cf_message,
        )
        #: Seconds Cloudflare asked to wait, or None when it sent no usable header.
        self.retry_after = retry_after


class CloudflareTimeout(CloudflareError, UpstreamTimeout):
    """Cloudflare did not respond within the client's timeout on any attempt."""


def _describe(
    operation: str,
    problem: str,
    http_status: int | None,
    code: int | None,
    cf_message: str | None,
) -> str:
    parts = [f"Cloudflare {operation} failed: {problem}"]
    if http_status is not None:
        parts.append(f"HTTP {http_status}")
    if code is not None:
        parts.append(f"code {code}")
    if cf_message:
        parts.append(f"message {cf_message!r}")
    return ", ".join(parts)
