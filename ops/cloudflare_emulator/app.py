"""Application factory of the local Cloudflare emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from core.settings import Settings
from ops.cloudflare_emulator import api_routes, control_routes, delivery_routes
from ops.cloudflare_emulator.inputs import StatusFormat
from ops.cloudflare_emulator.keys import EMULATOR_STATE
from ops.cloudflare_emulator.rate_limit import TokenRateLimiter
from ops.cloudflare_emulator.state import EmulatorState

__all__ = ["EMULATOR_STATE", "create_emulator_app", "create_emulator_state"]


def create_emulator_state(
    settings: Settings, *, status_format: StatusFormat = "string"
) -> EmulatorState:
    """Build the state: the client's token and account, and the webhook target."""
    secret = settings.cloudflare_webhook_secret.get_secret_value()
    return EmulatorState(
        api_token=settings.effective_cloudflare_api_token,
        account_id=settings.effective_cloudflare_account_id,
        webhook_url=settings.effective_emulator_webhook_url,
        webhook_secret=secret or None,
        rate_limiter=TokenRateLimiter(
            settings.emulator_rate_limit_requests,
            settings.emulator_rate_limit_window_seconds,
        ),
        status_format=status_format,
    )


def create_emulator_app(
    settings: Settings, *, status_format: StatusFormat = "string"
) -> web.Application:
    """Build the emulator app; its state is ``app[EMULATOR_STATE]``.

    The notification sender's HTTP session opens on startup and closes on
    cleanup, after background deliveries finish.
    """
    app = web.Application(middlewares=[api_routes.cloudflare_api_middleware])
    state = create_emulator_state(settings, status_format=status_format)
    app[EMULATOR_STATE] = state
    app.add_routes(api_routes.routes)
    app.add_routes(control_routes.routes)
    app.add_routes(delivery_routes.routes)
    app.cleanup_ctx.append(_notifier_ctx)
    return app


async def _notifier_ctx(app: web.Application) -> AsyncIterator[None]:
    notifier = app[EMULATOR_STATE].notifier
    await notifier.open()
    yield
    await notifier.close()
