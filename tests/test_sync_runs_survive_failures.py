"""Sync runs against what goes wrong: a worker killed mid-run (the sweep marks the run interrupted,
Resume finishes it: nothing twice, nothing lost) and a partner outage in the middle (the run
finishes with the failures recorded; the next run pushes only what is missing)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rq import Queue, Worker
from sqlalchemy import func, select

from portal.domain.sync import RunKind
from portal.extensions import db
from portal.integration.sync import start_run, sweep_runs
from portal.models import OrderIntegration, SyncOutcome, SyncRun
from portal.queue import queue_names, redis_connection
from tests.conftest import PROJECT_ROOT
from tests.fixtures.push import partner_orders_for
from tests.sync_helpers import (
    eligible_orders,
    fragment_of,
    follow,
    outcomes_of,
    run_to_the_end,
    wait_for_run,
    wait_until_pushes_settle,
)


@pytest.fixture(autouse=True)
def _worker(rq_worker):
    return rq_worker


@pytest.fixture
def killable_worker(migrated_database, tmp_path):
    """A ``flask worker --no-fork`` of its own (own queues, a 2 s push lease), to be killed mid-run."""
    base = f"{os.environ['RQ_QUEUE']}-killable"
    log_path = tmp_path / "killable-worker.log"
    # Every call of a push must end within its lease: 1.5 s calls, a 5 s lease.
    env = dict(os.environ, RQ_QUEUE=base, PUSH_LEASE_SECONDS="5", PARTNER_CONNECT_TIMEOUT="0.5",
               PARTNER_READ_TIMEOUT="1")
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--queue", "sync",
                                "--no-fork"], cwd=PROJECT_ROOT, env=env, stdout=open(log_path, "wb"),
                               stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 30
    while not any(w.pid == process.pid for w in Worker.all(connection=redis_connection())):
        assert process.poll() is None and time.monotonic() < deadline, Path(log_path).read_text()[-2000:]
        time.sleep(0.1)
    process.queue = Queue(queue_names(base)["sync"], connection=redis_connection())
    yield process
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_a_worker_killed_mid_run_leaves_an_interrupted_run_that_resumes_without_redoing_anything(
        app, logged_in, pushing_site, presswise, killable_worker):
    orders = eligible_orders(pushing_site.site, 24, prefix="K")
    pushing_site.account.max_concurrent_calls = 4
    db.session.commit()
    presswise.set_latency(150)
    run = start_run(pushing_site.link, RunKind.ORDERS, enqueue=False).run
    killable_worker.queue.enqueue("jobs.sync.run_sync", run.id)
    wait_for_run(run.id, done_at_least=6)

    os.killpg(killable_worker.pid, signal.SIGKILL)  # the worker dies with pushes in flight
    killable_worker.wait()
    db.session.expire_all()
    killed = db.session.get(SyncRun, run.id)
    assert killed.state == "running" and killed.done < len(orders)

    app.config["SYNC_STALE_SECONDS"] = 1
    time.sleep(1.5)
    assert sweep_runs().interrupted == 1
    fragment = fragment_of(logged_in.htmx("get", f"/embedded-services/sites/{pushing_site.site.id}/runs/{run.id}/progress"))
    assert "Interrupted" in fragment.select_one(".sync-state").get_text()
    assert not fragment.has_attr("hx-trigger"), "an interrupted run is not polled"
    assert fragment.select_one("button.resume-sync") is not None

    presswise.set_latency(0)
    resumed = logged_in.htmx("post", f"/embedded-services/sites/{pushing_site.site.id}/runs/{run.id}/resume")
    assert resumed.status_code == 200 and "Resumed" in resumed.text
    follow(logged_in, fragment_of(resumed))

    run = wait_for_run(run.id)
    assert (run.state, run.resumed_count, run.total, run.done) == ("finished", 1, 24, 24)
    assert run.pushed + run.adopted == 24 and run.failed == 0
    assert db.session.scalar(select(func.count()).select_from(SyncOutcome).where(SyncOutcome.run_id == run.id)) == 24
    for order in orders:
        assert len(partner_orders_for(presswise, order)) == 1, f"{order.number} is in PressWise exactly once"
    assert db.session.scalar(select(func.count()).select_from(OrderIntegration)
                             .where(OrderIntegration.state.not_in(["pushed", "adopted"]))) == 0


def test_a_partner_outage_mid_run_is_recorded_and_the_next_run_pushes_only_what_is_missing(
        logged_in, pushing_site, presswise):
    orders = eligible_orders(pushing_site.site, 12, prefix="U")
    db.session.commit()
    presswise.inject_fault("http500", count=3, operation="add_purchase_order")
    presswise.inject_fault("store_then_hang", count=1, operation="add_purchase_order", seconds=3)

    first = run_to_the_end(logged_in, pushing_site.link, "orders")

    assert (first.state, first.done, first.pushed, first.failed) == ("finished", 12, 8, 4)
    failures = [o for o in outcomes_of(first).values() if o.outcome == "failed"]
    assert all(o.detail for o in failures)
    assert sum("Internal Server Error" in o.detail and "Next attempt" in o.detail for o in failures) == 3
    assert sum("did not answer" in o.detail for o in failures) == 1

    second = run_to_the_end(logged_in, pushing_site.link, "orders")
    assert second.state == "finished" and second.failed == 0
    assert second.total <= 4 and second.pushed + second.adopted == second.total
    third = run_to_the_end(logged_in, pushing_site.link, "orders")
    assert third.total == 0, "nothing is missing any more"
    for order in orders:
        assert len(partner_orders_for(presswise, order)) == 1, f"{order.number}: no duplicate after the outage"


def test_a_partner_that_keeps_failing_stops_the_run_instead_of_failing_every_order(logged_in, pushing_site,
                                                                                    presswise):
    pushing_site.account.max_concurrent_calls = 2
    eligible_orders(pushing_site.site, 30, prefix="F")
    db.session.commit()
    presswise.inject_fault("http500", fraction=1.0, operation="find_orders")

    run = run_to_the_end(logged_in, pushing_site.link, "orders")

    assert run.state == "failed" and "in a row" in run.message and "Resume" in run.message
    assert 20 <= run.failed < 30 and run.done < 30
    presswise.reset()
    resumed = logged_in.htmx("post", f"/embedded-services/sites/{pushing_site.site.id}/runs/{run.id}/resume")
    follow(logged_in, fragment_of(resumed))
    run = wait_for_run(run.id)
    assert run.state == "finished" and run.done == 30, "resumed: the orders not reached yet are done now"
    wait_until_pushes_settle()  # the failed ones are retried automatically meanwhile
