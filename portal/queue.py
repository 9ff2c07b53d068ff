"""RQ wiring: one Redis connection and three queues per app.

- ``default``: short jobs a person waits for (Test connection, the status page's ping, the sweep);
- ``push``: order pushes, so a Push Order click never waits behind a long sync run;
- ``sync``: Order Synchronization and Order Status Synchronization runs.

``flask worker`` serves all three in that order; production can run a worker per queue
(``flask worker --queue push``). Views commit their database rows first and enqueue
afterwards, so a worker never picks up a job whose row it cannot see yet.
"""

from __future__ import annotations

from flask import Flask, current_app
from redis import Redis
from rq import Queue

QUEUE_KINDS = ("default", "push", "sync")


def queue_names(base: str) -> dict[str, str]:
    """The Redis queue name of each kind; ``RQ_QUEUE`` names the default one and prefixes the others."""
    return {kind: base if kind == "default" else f"{base}-{kind}" for kind in QUEUE_KINDS}


def init_app(app: Flask) -> None:
    connection = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=5, socket_timeout=30)
    app.extensions["redis"] = connection
    app.extensions["rq_queues"] = {
        kind: Queue(name, connection=connection) for kind, name in queue_names(app.config["RQ_QUEUE"]).items()
    }


def redis_connection() -> Redis:
    return current_app.extensions["redis"]


def task_queue(kind: str = "default") -> Queue:
    return current_app.extensions["rq_queues"][kind]


def all_queues() -> list[Queue]:
    """Every queue, in the order a worker serving them all takes jobs."""
    return [task_queue(kind) for kind in QUEUE_KINDS]


def enqueue(function_path: str, *args, queue: str = "default", **kwargs):
    """Enqueue ``jobs.<module>.<function>`` by import path; arguments carry IDs, never secrets."""
    return task_queue(queue).enqueue(function_path, *args, **kwargs)
