"""A backlog of one account's queued pushes (Resume after a pause, Redis back after an outage) is
sent by the jobs that find it: after its own order, a push job goes on with the account's other
waiting orders for PUSH_DRAIN_SECONDS, each through the same claim, and takes their jobs out of
the queue. Two workers doing that over 200 orders at once: 200 orders in PressWise, none twice,
and far fewer jobs run than orders sent (that is the point: RQ's bookkeeping per job costs as
much as a push). A round's two lanes take turns at the partner: a worker still makes one call at
a time. A failure stops a job's round; the order's own job takes it from there."""

from __future__ import annotations

import os
import time

from redis import Redis
from rq import Queue
from sqlalchemy import select

from portal.domain.push import Trigger
from portal.extensions import db
from portal.integration.push import PUSH_JOB, push_job_id, request_push
from portal.models import OrderIntegration
from portal.queue import queue_names
from tests import factories
from tests.fixtures.push import WorkerProcess, stop_workers_and_queue, wait_for_workers_to_settle

ORDERS = 200


def _queue_backlog(app, pushing_site, base: str, count: int, invalid: int | None = None
                   ) -> tuple[list[int], Queue, Redis]:
    """``count`` eligible orders of one customer, queued with a job each; order number ``invalid`` (0-based)
    has an item of quantity 0, which PressWise refuses as invalid (code 2, the field named)."""
    user = factories.site_user(pushing_site.site)
    orders = [factories.order(pushing_site.site, user=user, paid=True,
                              items=[{}, {"quantity": 0}] if n == invalid else 1) for n in range(count)]
    db.session.commit()
    ids = [request_push(order, pushing_site.account, trigger=Trigger.AUTOMATIC).integration_id for order in orders]
    db.session.commit()
    connection = Redis.from_url(app.config["REDIS_URL"])
    queue = Queue(queue_names(base)["push"], connection=connection)
    with connection.pipeline() as pipe:
        for integration_id in ids:
            queue.enqueue(PUSH_JOB, integration_id, job_id=push_job_id(integration_id), result_ttl=120, pipeline=pipe)
        pipe.execute()
    return ids, queue, connection


def test_two_workers_send_a_backlog_of_200_orders_once_each_with_far_fewer_jobs(app, pushing_site, presswise,
                                                                                tmp_path):
    presswise.set_latency(20)  # a job's round lasts long enough for the other worker to join in
    base = f"push-backlog-{os.getpid()}-{time.monotonic_ns()}"
    ids, queue, connection = _queue_backlog(app, pushing_site, base, ORDERS)
    workers = [WorkerProcess(tmp_path / f"worker-{n}.log", env={"RQ_QUEUE": base}, args=("--no-fork",))
               for n in range(2)]
    try:
        for worker in workers:
            worker.start()
        wait_for_workers_to_settle(ids, queue, workers)
        jobs_run = sum(1 for job_id in (push_job_id(i) for i in ids) if connection.exists(f"rq:job:{job_id}"))
    finally:
        stop_workers_and_queue(workers, queue)

    numbers = [o["order"]["source_order_id"] for o in presswise.orders()]
    rows = db.session.scalars(select(OrderIntegration).where(OrderIntegration.id.in_(ids))).all()
    print(f"orders={len(numbers)} distinct={len(set(numbers))} jobs_run={jobs_run}")
    assert len(numbers) == len(set(numbers)) == ORDERS, "every order once"
    assert len(presswise.calls("add_purchase_order")) == ORDERS
    assert {row.state for row in rows} == {"pushed"}
    assert all(row.attempt_count == 1 for row in rows), "a row was claimed twice"
    assert presswise.state()["peak_waiting_calls"] <= 2, "more calls at once than workers"
    # Jobs kept with result_ttl=120 are the ones that ran; a job taken out of the queue is gone.
    assert jobs_run < ORDERS // 4, f"{jobs_run} jobs ran for {ORDERS} orders: the backlog was not sent by rounds"


def test_a_failure_stops_the_round_and_leaves_the_rest_to_their_jobs(app, pushing_site, presswise, tmp_path):
    """PressWise refuses one order of the backlog as invalid: that order fails with the field named,
    and every other order is still sent once (by a round, or by its own job)."""
    presswise.set_latency(20)  # long enough for the lanes' calls to meet, were they not taking turns
    base = f"push-backlog-{os.getpid()}-{time.monotonic_ns()}"
    ids, queue, _ = _queue_backlog(app, pushing_site, base, 20, invalid=6)
    worker = WorkerProcess(tmp_path / "worker.log", env={"RQ_QUEUE": base}, args=("--no-fork",))
    try:
        worker.start()
        wait_for_workers_to_settle(ids, queue, [worker], timeout=60)
    finally:
        stop_workers_and_queue([worker], queue)

    rows = db.session.scalars(select(OrderIntegration).where(OrderIntegration.id.in_(ids))).all()
    failed = [row for row in rows if row.state == "failed"]
    assert len(failed) == 1 and "quantity" in failed[0].last_error, [row.last_error for row in failed]
    assert failed[0].id == ids[6]
    numbers = [o["order"]["source_order_id"] for o in presswise.orders()]
    assert len(numbers) == len(set(numbers)) == 19
    assert presswise.state()["peak_waiting_calls"] == 1, "one worker, one call at a time"
