"""Cloudflare Stream client: live inputs, viewer counts and lifecycle."""

from core.cloudflare.client import CloudflareStream
from core.cloudflare.errors import (
    CloudflareError,
    CloudflareRateLimited,
    CloudflareTimeout,
    LiveInputNotFound,
)
from core.cloudflare.models import Lifecycle, LiveInput

__all__ = [
    "CloudflareError",
    "CloudflareRateLimited",
    "CloudflareStream",
    "CloudflareTimeout",
    "Lifecycle",
    "LiveInput",
    "LiveInputNotFound",
]
