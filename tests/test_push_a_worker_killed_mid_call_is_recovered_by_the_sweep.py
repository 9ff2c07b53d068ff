"""A worker killed with SIGKILL in the middle of the call to PressWise: once the row's lease has run
out, the sweep hands the row to another worker, which asks PressWise before sending and adopts the
order if it got there. PressWise has the order once, whatever the dead worker had done.

The worker that dies is this test's own (a queue nobody else serves, a 5 s lease, and calls that may
take up to 3 s: every call must end within the lease, so they are still waiting when it is killed); the emulator holds the call
(``hang``: nothing stored, or ``store_then_hang``: stored, no answer). The worker, its work horse
(a fork in a process group of its own) and its scheduler all get SIGKILL. The session's worker
(``rq_worker``) is the one that takes over.
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from redis import Redis
from rq.job import Job
from rq.registry import StartedJobRegistry

from portal import create_app
from portal.domain.push import Trigger
from portal.extensions import db
from portal.integration.push import enqueue_push, push_job_id, request_push
from portal.integration.sweep import sweep
from portal.queue import queue_names
from tests import factories
from tests.fixtures.push import (
    WorkerProcess,
    duplicates_in_partner,
    integration_of,
    partner_orders_for,
    wait_for_push,
    wait_until,
)

LEASE_SECONDS = 5


@pytest.fixture(autouse=True)
def _worker(rq_worker, no_push_jobs_left):
    return rq_worker


@pytest.fixture
def killed_mid_call(request, app, pushing_site, presswise, tmp_path):
    """An order whose worker was SIGKILLed while PressWise held its ``add_purchase_order`` call."""
    fault = request.param
    order = factories.order(pushing_site.site, paid=True, items=2)
    db.session.commit()
    integration_id = request_push(order, pushing_site.account, trigger=Trigger.AUTOMATIC).integration_id
    db.session.commit()
    # Holds the call longer than the test needs; the emulator closes it by itself afterwards.
    presswise.inject_fault(fault, operation="add_purchase_order", seconds=15)

    base = f"push-killed-{os.getpid()}-{time.monotonic_ns()}"
    connection = Redis.from_url(app.config["REDIS_URL"])
    worker = WorkerProcess(tmp_path / "doomed-worker.log",
                           env={"RQ_QUEUE": base, "PUSH_LEASE_SECONDS": str(LEASE_SECONDS),
                                "PARTNER_CONNECT_TIMEOUT": "0.5", "PARTNER_READ_TIMEOUT": "2.5"})
    try:
        worker.start()
        # Enqueued as the portal does it (the row's own job ID), on the doomed worker's queue.
        doomed_app = create_app({"RQ_QUEUE": base})
        with doomed_app.app_context():
            assert enqueue_push(integration_id)
            db.session.remove()
            db.engine.dispose()

        def mid_call() -> bool:
            sent = [c for c in presswise.calls("add_purchase_order") if c["source_order_id"] == order.number]
            row = integration_of(order, pushing_site.account)
            db.session.commit()
            return bool(sent) and row.state == "sending"

        wait_until(mid_call, timeout=20, interval=0.05,
                   message=lambda: f"the call never started: {worker.log_tail()}")
        killed = worker.kill_hard()
        started = time.monotonic()
        row = integration_of(order, pushing_site.account)
        assert row.state == "sending", "the dead worker wrote nothing after its claim"
        lease_end = row.lease_expires_at
        db.session.commit()
        yield SimpleNamespace(order=order, integration_id=integration_id, fault=fault, base=base,
                              connection=connection, killed=killed, started=started, lease_end=lease_end,
                              account=pushing_site.account)
    finally:
        worker.stop()
        # Leave nothing behind for the next test (row IDs start again at 1): the dead worker's
        # "started" job and its queues.
        job = Job.fetch_many([push_job_id(integration_id)], connection=connection)[0]
        if job is not None:
            job.delete()
        for key in connection.scan_iter(f"*{base}*"):
            connection.delete(key)
        connection.close()


def wait_for_the_lease_to_run_out(lease_end: datetime) -> None:
    wait_until(lambda: datetime.now(timezone.utc) > lease_end, timeout=LEASE_SECONDS + 5, interval=0.05,
               message="the lease never ran out")


def check_one_order(presswise, killed_mid_call, report) -> None:
    order, fault = killed_mid_call.order, killed_mid_call.fault
    row = wait_for_push(order, killed_mid_call.account, timeout=30)
    elapsed = time.monotonic() - killed_mid_call.started
    stored = partner_orders_for(presswise, order)
    sends = [c for c in presswise.calls("add_purchase_order") if c["source_order_id"] == order.number]
    lookups = [c for c in presswise.calls("find_orders") if c["source_order_id"] == order.number]
    history = [attempt.outcome for attempt in reversed(row.attempts)]
    print(f"fault={fault} orders={len(stored)} duplicates={duplicates_in_partner(presswise)} "
          f"add_purchase_order_calls={len(sends)} find_orders_calls={len(lookups)} attempts={history} "
          f"sweep={report} killed_pids={len(killed_mid_call.killed)} elapsed_since_kill={elapsed:.2f}s")

    assert len(stored) == 1, f"PressWise has order {order.number} {len(stored)} times"
    assert row.partner_order_id == str(stored[0]["id"])
    assert len(lookups) == 1, "the worker that took over asked PressWise first"
    assert row.attempt_count == 2, "the dead worker's claim counts as an attempt"
    if fault == "store_then_hang":
        assert row.state == "adopted", f"{row.state}: {row.last_error}"
        assert len(sends) == 1, "found in PressWise: not sent again"
        assert history == ["adopted"]
    else:
        assert row.state == "pushed", f"{row.state}: {row.last_error}"
        assert len(sends) == 2, "not in PressWise: sent again, once"
        assert history == ["pushed"]


@pytest.mark.parametrize("killed_mid_call", ["store_then_hang", "hang"], indirect=True)
def test_after_the_lease_runs_out_the_sweep_hands_it_to_another_worker(app, presswise, killed_mid_call):
    wait_for_the_lease_to_run_out(killed_mid_call.lease_end)
    report = sweep()
    assert (report.due, report.enqueued) == (1, 1), f"the sweep left the row to the dead worker: {report}"
    check_one_order(presswise, killed_mid_call, report)


@pytest.mark.parametrize("killed_mid_call", ["store_then_hang", "hang"], indirect=True)
def test_once_rq_writes_off_the_dead_workers_job_the_sweep_recovers_it_with_one_order(app, presswise,
                                                                                       killed_mid_call):
    wait_for_the_lease_to_run_out(killed_mid_call.lease_end)
    # RQ's registry maintenance, as it runs once the dead worker's job has expired: the job is failed.
    StartedJobRegistry(name=queue_names(killed_mid_call.base)["push"],
                       connection=killed_mid_call.connection).cleanup(timestamp=time.time() + 24 * 3600)
    assert Job.fetch(push_job_id(killed_mid_call.integration_id),
                     connection=killed_mid_call.connection).get_status() == "failed"

    report = sweep()
    assert (report.due, report.enqueued) == (1, 1), report
    check_one_order(presswise, killed_mid_call, report)
