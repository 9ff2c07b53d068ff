"""One push row handed to workers several times over (a job delivered twice, the same job again after
it ran, and in-process runs racing the worker) sends the order to PressWise once.

RQ's unique job ID normally keeps a second job out; here it is bypassed on purpose: two jobs with
different IDs run ``jobs.push.push_order`` for the same row in the real worker while two threads of
the test process run ``run_push`` for it at the same moment. Only the claim stands between them
and a duplicate.
"""

from __future__ import annotations

import threading
import time

import pytest
from rq.job import Job

from portal.domain.push import Trigger
from portal.extensions import db
from portal.integration.push import PUSH_JOB, request_push, run_push
from portal.queue import task_queue
from tests import factories
from tests.conftest import wait_for_job
from tests.fixtures.push import duplicates_in_partner, partner_orders_for, wait_for_push

IN_PROCESS_RUNS = 2


@pytest.fixture(autouse=True)
def _worker(rq_worker, no_push_jobs_left):
    return rq_worker


def test_the_same_job_delivered_twice_makes_one_order(app, pushing_site, presswise):
    order = factories.order(pushing_site.site, paid=True, items=2)
    db.session.commit()
    pushed = request_push(order, pushing_site.account, trigger=Trigger.AUTOMATIC)
    db.session.commit()
    assert pushed.queued
    # Calls take a while, so the runs overlap with the one that is sending.
    presswise.set_latency(300)

    started = time.monotonic()
    queue = task_queue("push")
    jobs = [queue.enqueue(PUSH_JOB, pushed.integration_id, job_id=f"push-{pushed.integration_id}-delivery-{n}")
            for n in (1, 2)]
    barrier = threading.Barrier(IN_PROCESS_RUNS)
    results: list = [None] * IN_PROCESS_RUNS

    def run_here(index: int) -> None:
        with app.app_context():
            barrier.wait(timeout=30)
            try:
                results[index] = run_push(pushed.integration_id)
            except Exception as error:  # noqa: BLE001 - shown by the assertion below
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run_here, args=(i,)) for i in range(IN_PROCESS_RUNS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    job_results = [wait_for_job(job) for job in jobs]
    # The same job once more, after everything settled: it finds the order pushed and sends nothing.
    again = queue.enqueue(PUSH_JOB, pushed.integration_id, job_id=f"push-{pushed.integration_id}-delivery-1")
    job_results.append(wait_for_job(again))
    for job in jobs:  # their results are kept; nothing else needs them
        job.delete()

    row = wait_for_push(order, pushing_site.account)
    elapsed = time.monotonic() - started
    stored = partner_orders_for(presswise, order)
    sends = presswise.calls("add_purchase_order")
    print(f"orders={len(stored)} duplicates={duplicates_in_partner(presswise)} add_purchase_order_calls={len(sends)} "
          f"jobs={job_results} in_process={results} elapsed={elapsed:.2f}s")

    assert all(isinstance(result, str) for result in results), results
    assert set(results + job_results) <= {"pushed", "not claimed"}, (results, job_results)
    assert job_results[-1] == "pushed"
    assert row.state == "pushed", row.last_error
    assert len(stored) == 1, f"PressWise has order {order.number} {len(stored)} times"
    assert len(sends) == 1
    assert row.partner_order_id == str(stored[0]["id"])
    assert row.attempt_count == 1
    assert [attempt.outcome for attempt in row.attempts] == ["pushed"]
    assert not Job.exists(f"push-{pushed.integration_id}", connection=queue.connection), \
        "nothing enqueued a job of its own for the row: the four runs above were all"
