"""``flask worker``: an RQ worker with the scheduler on, inside the app's configuration."""

from __future__ import annotations

import click

from portal.queue import QUEUE_KINDS


@click.command("worker")
@click.option("--burst", is_flag=True, help="Quit when the queues are empty.")
@click.option(
    "--queue", "kinds", multiple=True, type=click.Choice(QUEUE_KINDS),
    help="Serve only this queue (repeatable). Default: all of them, default first, sync last.",
)
@click.option(
    "--fork/--no-fork", default=True, show_default=True,
    help="Run each job in a fork (isolated; the default) or in this process (no fork cost per job; "
         "partner connections and database connections are kept between jobs).",
)
@click.option(
    "--redis-timeout",
    default=30.0,
    show_default=True,
    help="Seconds to wait for Redis to answer before giving up (honcho starts every process at once).",
)
def worker_command(burst: bool, kinds: tuple[str, ...], fork: bool, redis_timeout: float) -> None:
    """Run an RQ worker on the portal's queues (with the scheduler, for retry intervals)."""
    from flask import current_app
    from rq import SimpleWorker, Worker

    from portal import embedded_redis
    from portal.queue import all_queues, redis_connection, task_queue

    url = current_app.config["REDIS_URL"]
    try:
        embedded_redis.wait_until_ready(url, timeout=redis_timeout)
    except embedded_redis.EmbeddedRedisError as error:
        raise click.ClickException(str(error)) from error

    preload_job_modules()
    queues = [task_queue(kind) for kind in QUEUE_KINDS if kind in kinds] if kinds else all_queues()
    worker_class = Worker if fork else SimpleWorker
    worker = worker_class(queues, connection=redis_connection())
    worker.work(with_scheduler=True, burst=burst)


def preload_job_modules() -> None:
    """Import the job modules (and the partner client behind them) once, in the worker process.

    RQ runs each job in a fork of this process: whatever is imported here is already there in
    every fork, instead of being imported again for every job (about 200 ms a push).
    """
    import jobs.connection  # noqa: F401
    import jobs.diagnostics  # noqa: F401
    import jobs.push  # noqa: F401
    import jobs.sync  # noqa: F401
    import portal.partners.presswise.client  # noqa: F401
