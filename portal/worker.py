"""``flask worker``: an RQ worker with the scheduler on, inside the app's configuration."""

from __future__ import annotations

import collections
import logging
import re
import signal
import time

import click
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

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
    """Run an RQ worker on the portal's queues (with the scheduler, for retry intervals).

    When Redis goes away (a restart, a failover) RQ's worker quits; this one waits for Redis to
    answer again and starts a fresh worker. Jobs lost with a Redis that restarted empty are handed
    back by the sweep (``flask cron``): the database is the truth.
    """
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
    quiet_routine_jobs(logging.getLogger("rq.worker"))
    worker_class = Worker if fork else SimpleWorker
    log = logging.getLogger("portal.worker")
    while True:
        queues = [task_queue(kind) for kind in QUEUE_KINDS if kind in kinds] if kinds else all_queues()
        worker = worker_class(queues, connection=redis_connection())
        try:
            worker.work(with_scheduler=True, burst=burst)
            if burst or worker._shutdown_requested_date is not None:  # done, or SIGTERM/SIGINT
                return
            reason = "the worker quit"  # RQ quits on a Redis timeout or an error of its own bookkeeping
        except (RedisConnectionError, RedisTimeoutError, OSError) as error:
            reason = f"Redis did not answer ({error})"
        # A Redis restart or failover must not end the process: under `make run` honcho would stop
        # everything with it, and in production the pushes would wait for someone to notice.
        log.warning("%s; starting again once Redis answers", reason)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # RQ's handlers expect a worker at work
        signal.signal(signal.SIGINT, signal.default_int_handler)
        time.sleep(1)
        wait_for_redis(url)


# What ``flask cron`` enqueues every few seconds (portal/cron.py).
ROUTINE_JOBS = ("jobs.push.sweep", "jobs.sync.sweep", "jobs.sync.start_scheduled")
_JOB_ID = re.compile(r"[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}")


class QuietRoutineJobs(logging.Filter):
    """Leaves out RQ's INFO lines about the routine jobs: five per job, two jobs every 10 s, they
    buried everything else under ``make run`` and in production logs. Their warnings and errors,
    and what the jobs log themselves (a sweep that found work says so), still show.

    RQ names the job's function on the line where it takes the job, next to its ID; the lines
    after that (done, result kept) name only the ID, so the IDs are remembered for them.
    """

    def __init__(self, routine: tuple[str, ...] = ROUTINE_JOBS):
        super().__init__()
        self.calls = tuple(f"{name}(" for name in routine)
        self.job_ids: collections.deque[str] = collections.deque(maxlen=64)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.INFO:
            return True
        message = record.getMessage()
        if any(call in message for call in self.calls):
            self.job_ids.extend(_JOB_ID.findall(message))
            return False
        return not any(job_id in message for job_id in self.job_ids)


def quiet_routine_jobs(logger: logging.Logger) -> None:
    if not any(isinstance(existing, QuietRoutineJobs) for existing in logger.filters):
        logger.addFilter(QuietRoutineJobs())


def wait_for_redis(url: str) -> None:
    from portal import embedded_redis

    while True:
        try:
            embedded_redis.wait_until_ready(url, timeout=30)
            return
        except embedded_redis.EmbeddedRedisError:
            continue


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
