"""Dramatiq workers: viewer sampling, rankings, notifications and maintenance.

Importing this package sets the process's Dramatiq broker from the
environment's settings and declares every actor on it, so ``dramatiq
workers`` (or ``python -m workers``) runs them all. Building the broker opens
no connection. Actor modules must be imported below, after the broker is set.
"""

import dramatiq

from core.settings import get_settings
from workers.broker import setup_broker

broker = setup_broker(get_settings())
dramatiq.set_broker(broker)

from workers import maintenance, notifications, search, trending, viewers  # noqa: E402 - actors bind to the broker set just above

#: Every actor of the project, for binding them to another broker.
ACTORS: tuple[dramatiq.Actor, ...] = tuple(broker.actors.values())

__all__ = [
    "ACTORS",
    "broker",
    "maintenance",
    "notifications",
    "search",
    "trending",
    "viewers",
]
