"""Domain errors shared by every process.

The API maps each family to one HTTP status in ``api.problems``; workers and
the webhook receiver catch them by family. The tree::

    ServiceError
    ├── InvalidInput          422  a value failed validation (``errors`` names the fields)
    ├── DomainRuleViolation   400  a rule of the domain forbids the request
    ├── AuthenticationFailed  401  missing, malformed or unknown credentials
    ├── PermissionDenied      403  authenticated but not allowed
    ├── NotFound              404  (also a LookupError)
    ├── Conflict              409  a unique value is already taken
    ├── PayloadTooLarge       413
    ├── UnsupportedMediaType  415
    ├── RateLimited           429  carries ``retry_after`` seconds
    └── UpstreamError         502  Cloudflare, Meilisearch or another dependency failed
        └── UpstreamTimeout        (also a TimeoutError)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldError:
    """One invalid field: ``location`` is ``body``, ``query`` or ``path``."""

    location: str
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"location": self.location, "field": self.field, "message": self.message}


class ServiceError(Exception):
    """Root of every error the services raise on purpose."""

    status = 500
    title = "Internal Server Error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def extensions(self) -> dict[str, Any]:
        """Return extra members for the problem-details body."""
        return {}


class InvalidInput(ServiceError, ValueError):
    status = 422
    title = "Unprocessable Content"

    def __init__(self, detail: str, errors: Sequence[FieldError] = ()) -> None:
        super().__init__(detail)
        self.errors = list(errors)

    def extensions(self) -> dict[str, Any]:
        return {"errors": [error.as_dict() for error in self.errors]}


class DomainRuleViolation(ServiceError):
    status = 400
    title = "Bad Request"


class AuthenticationFailed(ServiceError):
    status = 401
    title = "Unauthorized"


class PermissionDenied(ServiceError):
    status = 403
    title = "Forbidden"


class NotFound(ServiceError, LookupError):
    status = 404
    title = "Not Found"


class Conflict(ServiceError):
    status = 409
    title = "Conflict"


class PayloadTooLarge(ServiceError):
    status = 413
    title = "Content Too Large"


class UnsupportedMediaType(ServiceError):
    status = 415
    title = "Unsupported Media Type"


class RateLimited(ServiceError):
    status = 429
    title = "Too Many Requests"

    def __init__(
        self, detail: str, *, retry_after: int, limit: int, reset_seconds: int
    ) -> None:
        super().__init__(detail)
        self.retry_after = max(1, retry_after)
        self.limit = limit
        self.reset_seconds = reset_seconds


class UpstreamError(ServiceError):
    """A dependency (Cloudflare, Meilisearch, ...) failed or returned an error."""

    status = 502
    title = "Bad Gateway"


class UpstreamTimeout(UpstreamError, TimeoutError):
    pass
