"""Dead-lettered messages: list them and put them back on their queue.

Dramatiq's Redis broker (2.x) moves a message that ran out of retries to the
sorted set ``<namespace>:<queue>.XQ`` (message ids by time) and keeps its body
in the hash ``<namespace>:<queue>.XQ.msgs`` for 7 days.

Usage: ``python -m workers.dead_letters list|requeue [--queue NAME]``
"""

from __future__ import annotations

import argparse
import json
import sys

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from core.settings import get_settings
from workers.broker import QUEUES, setup_broker


def _keys(broker: RedisBroker, queue_name: str) -> tuple[str, str]:
    dead = f"{broker.namespace}:{queue_name}.XQ"
    return dead, f"{dead}.msgs"


def list_dead_letters(broker: RedisBroker, queue_name: str) -> list[dramatiq.Message]:
    """Return the dead-lettered messages of ``queue_name``, oldest first."""
    dead, bodies = _keys(broker, queue_name)
    message_ids = broker.client.zrange(dead, 0, -1)
    if not message_ids:
        return []
    encoded = broker.client.hmget(bodies, message_ids)
    return [dramatiq.Message.decode(data) for data in encoded if data is not None]


def requeue_dead_letters(broker: RedisBroker, queue_name: str) -> int:
    """Enqueue every dead-lettered message of ``queue_name`` again with fresh retries.

    Returns the number requeued. Each message leaves the dead-letter set only
    after it is enqueued, so a failure part-way loses nothing.
    """
    dead, bodies = _keys(broker, queue_name)
    requeued = 0
    for message_id in broker.client.zrange(dead, 0, -1):
        data = broker.client.hget(bodies, message_id)
        if data is None:
            broker.client.zrem(dead, message_id)
            continue
        message = dramatiq.Message.decode(data)
        options = {
            key: value
            for key, value in message.options.items()
            if key not in {"retries", "traceback", "redis_message_id", "eta"}
        }
        broker.enqueue(message._replace(options=options))
        broker.client.zrem(dead, message_id)
        broker.client.hdel(bodies, message_id)
        requeued += 1
    return requeued


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description="List or requeue dead-lettered messages."
    )
    parser.add_argument("action", choices=["list", "requeue"])
    parser.add_argument("--queue", choices=QUEUES, help="one queue (default: all)")
    arguments = parser.parse_args(argv)

    broker = setup_broker(get_settings(), metrics=False)
    assert isinstance(broker, RedisBroker)
    queues = [arguments.queue] if arguments.queue else list(QUEUES)
    try:
        for queue_name in queues:
            if arguments.action == "list":
                for message in list_dead_letters(broker, queue_name):
                    print(
                        json.dumps(
                            {
                                "queue": queue_name,
                                "message_id": message.message_id,
                                "actor": message.actor_name,
                                "args": message.args,
                                "retries": message.options.get("retries"),
                                "error": (message.options.get("traceback") or "")
                                .strip()
                                .splitlines()[-1:],
                            }
                        )
                    )
            else:
                print(
                    f"{queue_name}: requeued {requeue_dead_letters(broker, queue_name)}"
                )
    finally:
        broker.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
