"""A worker's log leaves out RQ's lines about the sweeps ``flask cron`` enqueues every few seconds
(they buried everything else under ``make run``) and keeps them for every other job. A real RQ
worker on a real Redis, in this process, on a queue of its own."""

from __future__ import annotations

import logging
import secrets

from rq import Queue, SimpleWorker

from portal.queue import redis_connection
from portal.worker import QuietRoutineJobs, quiet_routine_jobs


def test_the_sweeps_leave_no_line_and_other_jobs_keep_theirs(app, caplog):
    logger = logging.getLogger("rq.worker")
    queue = Queue(f"quiet-{secrets.token_hex(4)}", connection=redis_connection())
    sweep = queue.enqueue("jobs.push.sweep")
    ping = queue.enqueue("jobs.diagnostics.ping", "hello")
    quiet_routine_jobs(logger)
    try:
        with caplog.at_level(logging.INFO, logger="rq.worker"):
            SimpleWorker([queue], connection=redis_connection()).work(burst=True)
        statuses = (sweep.get_status(refresh=True), ping.get_status(refresh=True))
    finally:
        logger.filters = [f for f in logger.filters if not isinstance(f, QuietRoutineJobs)]
        queue.delete(delete_jobs=True)

    assert statuses == ("finished", "finished"), "both ran; only the sweep's lines are left out"
    lines = [record.getMessage() for record in caplog.records if record.name == "rq.worker"]
    assert [line for line in lines if sweep.id in line or "jobs.push.sweep(" in line] == []
    assert len([line for line in lines if ping.id in line]) >= 2, lines
    assert any("jobs.diagnostics.ping(" in line for line in lines), lines


def test_a_routine_job_that_goes_wrong_still_says_so():
    quiet = QuietRoutineJobs()
    taken = logging.LogRecord("rq.worker", logging.INFO, __file__, 1, "Worker %s: %s: %s (%s)",
                              ("w1", "portal", "jobs.sync.sweep()", "0f0c6a1e-2b7d-4c1a-9d3e-5a6b7c8d9e0f"), None)
    failed = logging.LogRecord("rq.worker", logging.ERROR, __file__, 1, "Worker %s: job %s: %s",
                               ("w1", "0f0c6a1e-2b7d-4c1a-9d3e-5a6b7c8d9e0f", "Traceback…"), None)
    done = logging.LogRecord("rq.worker", logging.INFO, __file__, 1, "Worker %s: job %s result is kept for %s seconds",
                             ("w1", "0f0c6a1e-2b7d-4c1a-9d3e-5a6b7c8d9e0f", 30), None)
    other = logging.LogRecord("rq.worker", logging.INFO, __file__, 1, "Worker %s: %s: %s (%s)",
                              ("w1", "portal-push", "jobs.push.push(7)", "aa0c6a1e-2b7d-4c1a-9d3e-5a6b7c8d9e0f"), None)
    assert [quiet.filter(record) for record in (taken, failed, done, other)] == [False, True, False, True]
