"""RQ wiring: one Redis connection and one queue per app.

Views commit their database rows first and enqueue afterwards, so a worker never
picks up a job whose row it cannot see yet.
"""

from __future__ import annotations

from flask import Flask, current_app
from redis import Redis
from rq import Queue


def init_app(app: Flask) -> None:
    connection = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=5, socket_timeout=30)
    app.extensions["redis"] = connection
    app.extensions["rq_queue"] = Queue(app.config["RQ_QUEUE"], connection=connection)


def redis_connection() -> Redis:
    return current_app.extensions["redis"]


def task_queue() -> Queue:
    return current_app.extensions["rq_queue"]


def enqueue(function_path: str, *args, **kwargs):
    """Enqueue ``jobs.<module>.<function>`` by import path; arguments carry IDs, never secrets."""
    return task_queue().enqueue(function_path, *args, **kwargs)
