"""Two worker processes racing over 200 queued pushes: PressWise gets 200 orders, none twice.

Each row is handed out twice in a row (two jobs with different IDs, one after the other in one
queue), so the two workers, taking jobs from the same queue, mostly take the two jobs of one row
at the same moment: only the claim keeps the order from being sent twice. The workers are this
test's own, on a queue nobody else serves, and run jobs without forking (``--no-fork``): a fork per
job would make the 400 jobs take half a minute on a small machine, and the race is between the
two processes either way. ``refused_claims`` counts the jobs that found their row being sent by
the other worker at that moment (the claim said no): the races that happened.
"""

from __future__ import annotations

import os
import time

from redis import Redis
from rq import Queue
from rq.job import Job
from sqlalchemy import select

from portal.domain.push import Trigger
from portal.extensions import db
from portal.integration.push import PUSH_JOB, request_push
from portal.models import OrderIntegration
from portal.queue import queue_names
from tests import factories
from tests.fixtures.push import WorkerProcess, stop_workers_and_queue, wait_for_workers_to_settle

ORDERS = 200
WORKERS = 2


def test_two_workers_racing_over_200_queued_orders_make_200_orders(app, pushing_site, presswise, tmp_path):
    user = factories.site_user(pushing_site.site)
    orders = [factories.order(pushing_site.site, user=user, paid=True) for _ in range(ORDERS)]
    db.session.commit()
    ids = [request_push(order, pushing_site.account, trigger=Trigger.AUTOMATIC).integration_id for order in orders]
    db.session.commit()

    base = f"push-race-{os.getpid()}-{time.monotonic_ns()}"
    # Each job pushes its own row only: a job going on with the account's waiting rows would leave
    # the jobs nothing to race over (that path has its own test: test_push_a_backlog_is_sent_...).
    env = {"RQ_QUEUE": base, "PUSH_DRAIN_SECONDS": "0"}
    connection = Redis.from_url(app.config["REDIS_URL"])
    queue = Queue(queue_names(base)["push"], connection=connection)
    workers = [WorkerProcess(tmp_path / f"worker-{n}.log", env=env, args=("--no-fork",)) for n in range(WORKERS)]
    try:
        for worker in workers:
            worker.start()
        started = time.monotonic()
        with connection.pipeline() as pipe:
            for integration_id in ids:
                for delivery in (1, 2):
                    queue.enqueue(PUSH_JOB, integration_id, job_id=f"push-{integration_id}-race-{delivery}",
                                  result_ttl=120, pipeline=pipe)
            pipe.execute()

        wait_for_workers_to_settle(ids, queue, workers)
        elapsed = time.monotonic() - started
        outcomes = [job.return_value() if job else None for job in Job.fetch_many(
            [f"push-{i}-race-{d}" for i in ids for d in (1, 2)], connection=connection)]
    finally:
        stop_workers_and_queue(workers, queue)

    numbers = [o["order"]["source_order_id"] for o in presswise.orders()]
    duplicates = len(numbers) - len(set(numbers))
    sends = presswise.calls("add_purchase_order")
    rows = db.session.scalars(select(OrderIntegration).where(OrderIntegration.id.in_(ids))).all()
    states = {state: sum(1 for row in rows if row.state == state) for state in {row.state for row in rows}}
    print(f"orders={len(numbers)} distinct={len(set(numbers))} duplicates={duplicates} "
          f"add_purchase_order_calls={len(sends)} jobs={len(outcomes)} workers={WORKERS} states={states} "
          f"refused_claims={outcomes.count('not claimed')} "
          f"elapsed={elapsed:.2f}s rate={ORDERS / elapsed:.1f}/s")

    assert duplicates == 0
    assert set(outcomes) <= {"pushed", "not claimed"}, set(outcomes)
    assert outcomes.count("not claimed") > 0, "the workers never raced over a row: nothing was proven"
    assert sorted(numbers) == sorted(order.number for order in orders)
    assert len(sends) == ORDERS
    assert states == {"pushed": ORDERS}
    assert all(row.attempt_count == 1 for row in rows), "a row was claimed twice"
    assert len({row.partner_order_id for row in rows}) == ORDERS
    assert len(presswise.users()) == 1, "one site user: one PressWise login, whatever the races"
