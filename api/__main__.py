"""Run the API: ``python -m api``."""

from __future__ import annotations

from aiohttp import web

from api.app import create_app
from core.logs import configure_logging
from core.settings import get_settings


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level)
    web.run_app(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        access_log=None,
    )


if __name__ == "__main__":
    main()
