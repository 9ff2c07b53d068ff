"""``flask cron``: RQ's CronScheduler, enqueueing the periodic jobs for the workers to run.

The push sweep (``jobs.push.sweep``) and the sync-run sweep (``jobs.sync.sweep``: runs whose
worker died become interrupted) every SWEEP_INTERVAL seconds, and the scheduled status runs
(``jobs.sync.start_scheduled``) every SYNC_SCHEDULE_INTERVAL seconds. It runs in
the Procfile next to the worker (``make run``) and as one small process in production; two
at once only mean more sweeps, which do no harm. A Redis that goes away (restart, failover)
is waited for instead of ending the process.
"""

from __future__ import annotations

import logging
import time

import click


@click.command("cron")
@click.option("--redis-timeout", default=30.0, show_default=True,
              help="Seconds to wait for Redis to answer at start.")
def cron_command(redis_timeout: float) -> None:
    """Enqueue the periodic jobs (the sweeps, scheduled status runs) for the workers."""
    from flask import current_app
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
    from rq.cron import CronScheduler

    from jobs import sync as sync_jobs
    from jobs.push import sweep
    from portal import embedded_redis
    from portal.queue import redis_connection, task_queue

    url = current_app.config["REDIS_URL"]
    try:
        embedded_redis.wait_until_ready(url, timeout=redis_timeout)
    except embedded_redis.EmbeddedRedisError as error:
        raise click.ClickException(str(error)) from error

    interval = int(current_app.config["SWEEP_INTERVAL"])
    schedule_interval = int(current_app.config["SYNC_SCHEDULE_INTERVAL"])
    log = logging.getLogger("portal.cron")
    # A line per job enqueued, every few seconds: only its warnings are worth reading. CronScheduler's
    # logging_level applies only when nothing configured logging before it (make run has: the app's).
    logging.getLogger("rq.cron").setLevel(logging.WARNING)
    log.info("enqueueing the sweeps every %s s and starting scheduled status syncs every %s s",
             interval, schedule_interval)
    while True:
        scheduler = CronScheduler(connection=redis_connection(), logging_level=logging.WARNING)
        # A sweep left in the queue while no worker ran is stale by the next one: let it expire.
        scheduler.register(sweep, task_queue().name, interval=interval, ttl=interval * 3, result_ttl=interval * 3,
                           failure_ttl=3600)
        scheduler.register(sync_jobs.sweep, task_queue().name, interval=interval, ttl=interval * 3,
                           result_ttl=interval * 3, failure_ttl=3600)
        scheduler.register(sync_jobs.start_scheduled, task_queue().name, interval=schedule_interval,
                           ttl=schedule_interval * 3, result_ttl=schedule_interval * 3, failure_ttl=3600)
        try:
            scheduler.start()
            return  # stopped by a signal
        except (RedisConnectionError, RedisTimeoutError, OSError) as error:
            log.warning("Redis did not answer (%s); trying again in %ss", error, interval)
            time.sleep(interval)
