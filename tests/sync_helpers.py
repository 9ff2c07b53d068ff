"""Starting sync runs as an admin does (the HTMX buttons) and following their progress fragment."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Order, SyncOutcome, SyncRun
from portal.models.types import utcnow
from tests import factories
from tests.conftest import soup

SETTLED_RUN_STATES = ("finished", "cancelled", "interrupted", "failed")


def start(client, link, kind: str, *, dry_run: bool = False):
    """Press Synchronize Orders / Synchronize Status (or Dry run) on the site tab; returns the response."""
    data = {"dry_run": "1"} if dry_run else {}
    return client.htmx("post", f"/embedded-services/sites/{link.site_id}/links/{link.id}/sync-{kind}", data=data)


def fragment_of(response):
    return soup(response).select_one(".sync-progress")


def follow(client, fragment, timeout: float = 60.0):
    """Poll the progress fragment as HTMX would (its own hx-get) until it stops asking; returns the last one."""
    deadline = time.monotonic() + timeout
    polls = 0
    while fragment.get("hx-get"):
        assert fragment["hx-trigger"] == "load delay:1s", fragment
        if time.monotonic() > deadline:
            raise AssertionError(f"the run did not finish within {timeout}s: {fragment}")
        time.sleep(0.1)
        fragment = fragment_of(client.htmx("get", fragment["hx-get"]))
        polls += 1
    link = fragment.select_one(".sync-headline a")
    if link is not None:
        wait_for_the_job_of(int(link["href"].rsplit("/", 1)[1]))
    db.session.expire_all()
    return fragment


def run_to_the_end(client, link, kind: str, *, dry_run: bool = False, timeout: float = 60.0) -> SyncRun:
    response = start(client, link, kind, dry_run=dry_run)
    assert response.status_code == 200, response.text
    follow(client, fragment_of(response), timeout)
    return latest_run(link, kind)


def latest_run(link, kind: str) -> SyncRun:
    db.session.expire_all()
    return db.session.scalar(select(SyncRun).where(SyncRun.site_id == link.site_id, SyncRun.account_id == link.account_id,
                                                  SyncRun.kind == kind).order_by(SyncRun.id.desc()).limit(1))


def wait_for_run(run_id: int, states=SETTLED_RUN_STATES, *, done_at_least: int | None = None,
                 timeout: float = 60.0) -> SyncRun:
    deadline = time.monotonic() + timeout
    run = None
    while time.monotonic() < deadline:
        db.session.expire_all()
        run = db.session.get(SyncRun, run_id)
        if done_at_least is not None:
            if run.done >= done_at_least:
                return run
        elif run.state in states:
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} not in {states} (done {done_at_least}) within {timeout}s: "
                         f"{run.state if run else None}, {run.done if run else None} done")


def wait_until_pushes_settle(timeout: float = 30.0) -> None:
    """Let the worker finish every push still in progress (retries a test's faults left behind), so
    nothing writes while the next test empties the tables."""
    from portal.models import OrderIntegration

    busy_states = ["queued", "sending", "retrying", "unknown"]
    deadline = time.monotonic() + timeout
    while True:
        db.session.expire_all()
        busy = db.session.execute(select(OrderIntegration.id, OrderIntegration.state, OrderIntegration.attempt_count,
                                         OrderIntegration.next_attempt_at, OrderIntegration.last_error)
                                  .where(OrderIntegration.state.in_(busy_states))).all()
        db.session.commit()
        if not busy:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"pushes still in progress after {timeout}s (now {utcnow():%H:%M:%S}): {busy}")
        time.sleep(0.1)


def wait_for_the_job_of(run_id: int, timeout: float = 30.0) -> None:
    """Wait until the worker is done with the run's job (not only the run): its work horse may still
    be closing connections when the run says finished, and the next test empties the tables."""
    from rq.job import Job

    from portal.queue import redis_connection

    db.session.expire_all()
    job_id = db.session.scalar(select(SyncRun.job_id).where(SyncRun.id == run_id))
    db.session.commit()
    if not job_id:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = redis_connection().hget(Job.key_for(job_id), "status")
        if not status or status.decode() not in ("queued", "started", "scheduled", "deferred"):
            return
        time.sleep(0.05)
    raise AssertionError(f"the job of run {run_id} did not end within {timeout}s")


def outcomes_of(run) -> dict[str, SyncOutcome]:
    """The run's outcomes by order number."""
    db.session.expire_all()
    rows = db.session.execute(select(Order.number, SyncOutcome).join(Order, Order.id == SyncOutcome.order_id)
                              .where(SyncOutcome.run_id == run.id)).all()
    return {number: outcome for number, outcome in rows}


def eligible_orders(site, count: int, prefix: str = "S", **fields) -> list[Order]:
    return [factories.order(site, paid=True, number=f"{prefix}-{n:04d}", **fields) for n in range(count)]


def days_ago(days: float):
    return utcnow() - timedelta(days=days)
