"""``flask worker``: an RQ worker with the scheduler on, inside the app's configuration."""

from __future__ import annotations

import click


@click.command("worker")
@click.option("--burst", is_flag=True, help="Quit when the queue is empty.")
def worker_command(burst: bool) -> None:
    """Run an RQ worker on the portal's queue (with the scheduler, for retries)."""
    from flask import current_app
    from rq import Worker

    from portal.queue import redis_connection, task_queue

    worker = Worker([task_queue()], connection=redis_connection())
    worker.work(with_scheduler=True, burst=burst)
