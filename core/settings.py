"""Process settings, read once from environment variables into one typed object."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from typing import Any

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Cloudflare's v4 API root, used unless ``CLOUDFLARE_API_BASE`` sets another.
CLOUDFLARE_V4_API = "https://api.cloudflare.com/client/v4"

#: Token and account the emulator accepts when no Cloudflare credentials are set.
EMULATOR_API_TOKEN = "emulator-token"
EMULATOR_ACCOUNT_ID = "0123456789abcdef0123456789abcdef"


class Settings(BaseSettings):
    """Every setting of every process. Field names map to upper-case variables."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8080, ge=1, le=65535)
    public_base_url: str | None = Field(
        default=None,
        description="Origin that clients use to reach the API, for media URLs; "
        "defaults to http://API_HOST:API_PORT.",
    )

    database_url: str = "postgresql://postgres@127.0.0.1:5432/livestream"
    database_pool_min_size: int = Field(default=1, ge=0)
    database_pool_max_size: int = Field(default=10, ge=1)
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_namespace: str = Field(
        default="livestream",
        description="Prefix of every Redis key and of the Dramatiq queues, so that "
        "several deployments or test runs can share one Redis.",
    )

    meilisearch_url: str | None = None
    meilisearch_api_key: SecretStr | None = None
    meilisearch_index_prefix: str = "livestream"
    meilisearch_timeout_seconds: float = Field(
        default=2.0,
        gt=0,
        description="Timeout of one Meilisearch request; a search that exceeds it "
        "is answered from PostgreSQL instead.",
    )
    meilisearch_task_timeout_seconds: float = Field(
        default=60.0,
        gt=0,
        description="How long indexing waits for Meilisearch to finish one task.",
    )
    search_outbox_batch_size: int = Field(default=200, ge=1, le=10_000)
    search_outbox_interval_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How often the scheduler drains the search outbox.",
    )

    cloudflare_account_id: str | None = None
    cloudflare_api_token: SecretStr | None = None
    cloudflare_webhook_secret: SecretStr = SecretStr("development-webhook-secret")
    cloudflare_api_base: str | None = None
    cloudflare_delivery_base: str | None = None
    cloudflare_timeout_seconds: float = Field(default=10.0, gt=0)
    cloudflare_max_retries: int = Field(default=3, ge=0)

    emulator_host: str = "127.0.0.1"
    emulator_port: int = Field(default=8787, ge=1, le=65535)
    emulator_url: str | None = Field(
        default=None,
        description="Where the other processes reach the emulator; defaults to "
        "http://EMULATOR_HOST:EMULATOR_PORT (127.0.0.1 when the host is 0.0.0.0).",
    )
    emulator_webhook_url: str | None = Field(
        default=None,
        description="Where the emulator posts notifications; defaults to the API's "
        "/webhooks/cloudflare.",
    )
    emulator_rate_limit_requests: int = Field(
        default=1200,
        ge=1,
        description="Maximum API requests per token and window before the emulator "
        "responds with 429, like Cloudflare's 1,200 per 5 minutes.",
    )
    emulator_rate_limit_window_seconds: float = Field(
        default=300.0,
        gt=0,
        description="Length in seconds of the emulator's rate-limit window, which "
        "is also how long a token stays locked out after exceeding it.",
    )

    stream_reconnect_window_seconds: float = Field(default=60.0, ge=0)
    viewer_sample_interval_seconds: float = Field(default=30.0, gt=0)
    viewer_sample_retention_days: float = Field(default=7.0, gt=0)
    trending_interval_seconds: float = Field(default=60.0, gt=0)
    viewer_sample_batch_size: int = Field(
        default=500, ge=1, description="Live streams per viewer-sampling message."
    )
    viewer_sample_concurrency: int = Field(
        default=50,
        ge=1,
        description="Viewer-count requests in flight per worker process.",
    )
    reconciliation_interval_seconds: float = Field(default=60.0, gt=0)
    retention_interval_seconds: float = Field(default=3600.0, gt=0)
    idempotency_key_retention_hours: float = Field(default=24.0, gt=0)
    live_input_deletion_interval_seconds: float = Field(default=300.0, gt=0)
    fanout_batch_size: int = Field(
        default=10_000,
        ge=1,
        le=100_000,
        description="Notification rows per fan-out statement.",
    )
    fanout_parallelism: int = Field(
        default=2,
        ge=1,
        le=16,
        description="Follower ranges a go-live fan-out inserts at the same time, each on "
        "its own database connection.",
    )
    rising_max_stream_hours: float = Field(
        default=50.0,
        gt=0,
        description="Streamers with fewer total streaming hours than this can be rising.",
    )
    worker_processes: int = Field(default=2, ge=1)
    worker_threads: int = Field(default=8, ge=1)
    worker_max_retries: int = Field(default=10, ge=0)
    worker_time_limit_seconds: float = Field(default=600.0, gt=0)
    worker_metrics_enabled: bool = Field(
        default=True, description="Serve the workers' Prometheus metrics over HTTP."
    )
    worker_metrics_host: str = "127.0.0.1"
    worker_metrics_port: int = Field(default=9191, ge=1, le=65535)
    stream_create_rate_limit: int = Field(default=10, ge=1)
    stream_create_rate_window_seconds: int = Field(default=60, ge=1)

    chat_rate_limit: int = Field(
        default=20,
        ge=1,
        description="Chat messages one user may send to one stream per window.",
    )
    chat_rate_window_seconds: int = Field(
        default=30,
        ge=1,
        description="Length of the rolling chat rate-limit window, in seconds.",
    )

    listing_cache_ttl_seconds: float = Field(
        default=2.0,
        ge=0,
        description="How long the public stream listing is cached in Redis, in "
        "seconds; stream lifecycle changes clear it at once. 0 disables the cache.",
    )
    media_root: Path = Path("./var/media")
    media_max_image_pixels: int = Field(default=40_000_000, ge=1)
    media_storage: Literal["local", "s3"] = "local"
    media_s3_bucket: str | None = None
    media_s3_endpoint_url: str | None = Field(
        default=None,
        description="S3-compatible endpoint such as MinIO or R2; unset: AWS S3.",
    )
    media_s3_region: str = "us-east-1"
    media_public_base_url: str | None = Field(
        default=None,
        description="URL prefix of stored media files; defaults to the API's /media "
        "for local storage and to the bucket's URL for S3.",
    )

    log_level: str = "INFO"

    @field_validator(
        "public_base_url",
        "meilisearch_url",
        "meilisearch_api_key",
        "cloudflare_account_id",
        "cloudflare_api_token",
        "cloudflare_api_base",
        "cloudflare_delivery_base",
        "emulator_url",
        "emulator_webhook_url",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        # docker compose passes unset variables through as empty strings.
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @model_validator(mode="after")
    def _check_media_storage(self) -> Settings:
        if self.media_storage == "s3" and not self.media_s3_bucket:
            raise ValueError(
                "MEDIA_S3_BUCKET is missing: it is required when MEDIA_STORAGE=s3"
            )
        return self

    @model_validator(mode="after")
    def _check_cloudflare(self) -> Settings:
        if self.cloudflare_api_token is not None:
            if not self.cloudflare_account_id:
                raise ValueError(
                    "CLOUDFLARE_ACCOUNT_ID is missing: it is required when "
                    "CLOUDFLARE_API_TOKEN is set"
                )
            if not self.cloudflare_delivery_base:
                raise ValueError(
                    "CLOUDFLARE_DELIVERY_BASE is missing: set it to your Stream "
                    "customer subdomain, e.g. https://customer-abc123.cloudflarestream.com"
                )
        return self

    @property
    def cloudflare_emulated(self) -> bool:
        """True when no Cloudflare token is set, so the local emulator replaces Cloudflare."""
        return self.cloudflare_api_token is None

    @property
    def emulator_origin(self) -> str:
        if self.emulator_url:
            return self.emulator_url.rstrip("/")
        host = (
            "127.0.0.1"
            if self.emulator_host in {"0.0.0.0", "::"}
            else self.emulator_host
        )
        return f"http://{host}:{self.emulator_port}"

    @property
    def effective_cloudflare_api_base(self) -> str:
        if self.cloudflare_api_base:
            return self.cloudflare_api_base.rstrip("/")
        if self.cloudflare_emulated:
            return f"{self.emulator_origin}/client/v4"
        return CLOUDFLARE_V4_API

    @property
    def effective_cloudflare_delivery_base(self) -> str:
        if self.cloudflare_delivery_base:
            return self.cloudflare_delivery_base.rstrip("/")
        return self.emulator_origin

    @property
    def effective_cloudflare_account_id(self) -> str:
        return self.cloudflare_account_id or EMULATOR_ACCOUNT_ID

    @property
    def effective_cloudflare_api_token(self) -> str:
        if self.cloudflare_api_token is None:
            return EMULATOR_API_TOKEN
        return self.cloudflare_api_token.get_secret_value()

    @property
    def effective_public_base_url(self) -> str:
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        return f"http://{self.api_host}:{self.api_port}"

    @property
    def effective_emulator_webhook_url(self) -> str:
        if self.emulator_webhook_url:
            return self.emulator_webhook_url
        return f"http://{self.api_host}:{self.api_port}/webhooks/cloudflare"


@functools.cache
def get_settings() -> Settings:
    """Read the settings from the environment once per process."""
    return Settings()
