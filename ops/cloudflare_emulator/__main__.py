"""Run the Cloudflare emulator: ``python -m ops.cloudflare_emulator``."""

from __future__ import annotations

import logging

from aiohttp import web

from core.settings import get_settings
from ops.cloudflare_emulator.app import create_emulator_app

logger = logging.getLogger(__name__)


def main() -> None:
    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    logger.info(
        "Starting Cloudflare emulator host=%s port=%s webhook_url=%s",
        settings.emulator_host,
        settings.emulator_port,
        settings.effective_emulator_webhook_url,
    )
    web.run_app(
        create_emulator_app(settings),
        host=settings.emulator_host,
        port=settings.emulator_port,
        access_log=None,
        print=None,
    )
    logger.info("Cloudflare emulator stopped")


if __name__ == "__main__":
    main()
