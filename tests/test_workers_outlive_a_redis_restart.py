"""Redis restarts (a deploy, a failover, the embedded one after a crash) while a job runs: ``flask worker``
waits for it and goes on taking jobs, in both modes, instead of ending (RQ's own worker quits when it
cannot write a job's end, and under ``make run`` honcho would then stop every process)."""

from __future__ import annotations

import os
import time

import pytest
from redis import Redis
from rq import Queue
from rq.job import Job

from portal import embedded_redis
from portal.queue import queue_names
from tests.fixtures.push import WorkerProcess, wait_until


@pytest.mark.parametrize("mode", ["--no-fork", "--fork"])
def test_a_worker_takes_jobs_again_after_redis_restarts(migrated_database, tmp_path, mode):
    redis_dir = tmp_path / "redis"
    redis_process, redis_url = embedded_redis.start(redis_dir)
    base = f"restart-{os.getpid()}-{time.monotonic_ns()}"
    worker = WorkerProcess(tmp_path / "worker.log", env={"REDIS_URL": redis_url, "RQ_QUEUE": base},
                           args=("--queue", "default", mode))
    try:
        worker.start()
        ping_once(redis_url, base, "before")
        busy_for(redis_url, base, seconds=2)

        embedded_redis.stop(redis_process)  # while the job runs: its end cannot be written
        time.sleep(3)
        redis_process, _ = embedded_redis.start(redis_dir)

        answer = ping_once(redis_url, base, "after", timeout=60)
        assert worker.process.poll() is None, worker.log_tail()
        assert answer["token"] == "after"
    finally:
        worker.stop()
        embedded_redis.stop(redis_process)


def busy_for(redis_url: str, base: str, seconds: float) -> None:
    """A job that runs for ``seconds``; returns once the worker has taken it."""
    connection = Redis.from_url(redis_url)
    try:
        job = Queue(queue_names(base)["default"], connection=connection).enqueue("time.sleep", seconds)
        wait_until(lambda: Job.fetch(job.id, connection=connection).get_status() == "started", timeout=30,
                   interval=0.05, message="the job never started")
    finally:
        connection.close()


def ping_once(redis_url: str, base: str, token: str, timeout: float = 30.0) -> dict:
    connection = Redis.from_url(redis_url)
    try:
        job = Queue(queue_names(base)["default"], connection=connection).enqueue("jobs.diagnostics.ping", token)
        wait_until(lambda: Job.fetch(job.id, connection=connection).get_status() == "finished", timeout=timeout,
                   interval=0.1, message=f"job {token} never ran")
        return Job.fetch(job.id, connection=connection).return_value()
    finally:
        connection.close()
