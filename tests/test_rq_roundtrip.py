"""A job travels through a real Redis to a real ``flask worker`` process and back."""

from __future__ import annotations

import os

import pytest
from rq import Worker

from portal.queue import enqueue, redis_connection
from tests.conftest import wait_for_job


def test_ping_job_round_trips_through_a_worker_process(app, rq_worker):
    job = enqueue("jobs.diagnostics.ping", "hello")

    answer = wait_for_job(job)

    assert answer["token"] == "hello"
    assert answer["pid"] != os.getpid()  # RQ forked a work horse of the worker process to run it
    (worker,) = [w for w in Worker.all(connection=redis_connection()) if w.pid == rq_worker.pid]
    assert answer["worker"] == worker.name
    assert job.get_status() == "finished"


def test_worker_runs_with_the_scheduler_on(app, rq_worker):
    """Retry intervals need the scheduler: a job scheduled a second ahead still runs."""
    from datetime import timedelta

    from portal.queue import task_queue

    job = task_queue().enqueue_in(timedelta(seconds=1), "jobs.diagnostics.ping", "later")

    assert job.get_status() == "scheduled"
    assert wait_for_job(job, timeout=30)["token"] == "later"


def test_worker_waits_for_redis_and_gives_up_with_a_clear_error(app, tmp_path):
    """Honcho starts the worker with Redis; without an answer it fails clearly, not with a traceback."""
    import subprocess
    import sys

    from tests.conftest import PROJECT_ROOT

    env = dict(os.environ, REDIS_URL=f"unix://{tmp_path / 'nobody-listens.sock'}")
    finished = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--redis-timeout", "1"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60,
    )

    assert finished.returncode != 0
    assert "did not answer within 1s" in finished.stderr
    assert "Traceback" not in finished.stderr


@pytest.mark.parametrize("url, shown", [
    ("redis://:s3cret@redis.example:6380/0", "redis://:***@redis.example:6380/0"),
    ("redis://user:s3cret@redis.example/0", "redis://user:***@redis.example/0"),
    ("unix:///srv/portal/instance/redis.sock", "unix:///srv/portal/instance/redis.sock"),
])
def test_redis_urls_are_shown_without_their_password(url, shown):
    from portal.settings import masked_url

    assert masked_url(url) == shown
