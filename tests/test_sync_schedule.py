"""Scheduled status runs: started by ``flask cron`` through a worker, once per due time, and shown in
the history like manual ones."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

from sqlalchemy import func, select

from portal.domain.push import Trigger
from portal.extensions import db
from portal.integration import sync
from portal.integration.push import request_push, run_push
from portal.integration.sync import start_scheduled_runs
from portal.models import OrderItem, SiteLink, SyncRun
from portal.models.types import utcnow
from tests import embedded_factories, factories
from tests.conftest import PROJECT_ROOT, soup
from tests.fixtures.push import integration_of
from tests.sync_helpers import wait_for_run


def _due(link, schedule="hourly", minutes_ago=1):
    link.status_schedule = schedule
    link.status_schedule_next_at = utcnow() - timedelta(minutes=minutes_ago)


def test_a_due_schedule_starts_one_status_run_and_moves_on(app, pushing_site, monkeypatch):
    # Kept from the workers: the session's worker (started by an earlier test) would otherwise finish
    # the run before the last check, and a finished run rightly lets the next due time start another.
    handed_to_workers = []
    monkeypatch.setattr(sync, "enqueue_run", handed_to_workers.append)
    quiet = embedded_factories.site_link(
        embedded_factories.account(pushing_site.subscriber, name="Status off"), pushing_site.site, sync_status=False)
    _due(pushing_site.link)
    _due(quiet, "every_4_hours")
    db.session.commit()

    started = start_scheduled_runs()

    assert len(started) == 1 and handed_to_workers == started
    run = db.session.get(SyncRun, started[0])
    assert (run.kind, run.trigger, run.who, run.account_id) == ("status", "scheduled", "Scheduled", pushing_site.account.id)
    db.session.expire_all()
    link = db.session.get(SiteLink, pushing_site.link.id)
    assert link.status_schedule_next_at > utcnow() and link.status_schedule_next_at.minute == 0
    assert db.session.get(SiteLink, quiet.id).status_schedule_next_at > utcnow(), "refused, it waits for its next time"
    assert start_scheduled_runs() == [], "not due again"
    _due(link)
    db.session.commit()
    assert start_scheduled_runs() == [], "the run it started is still under way: no second one"
    assert db.session.scalar(select(func.count()).select_from(SyncRun)) == 1


def test_the_cron_process_fires_a_scheduled_run_through_a_worker(app, rq_worker, logged_in, pushing_site, presswise,
                                                                  tmp_path):
    order = factories.order(pushing_site.site, paid=True, number="C-1")
    db.session.commit()
    run_push(request_push(order, pushing_site.account, trigger=Trigger.AUTOMATIC).integration_id)
    presswise.set_order_status(integration_of(order, pushing_site.account).partner_order_id, "Shipped")
    _due(pushing_site.link)
    db.session.commit()

    log = open(tmp_path / "cron.log", "wb")
    cron = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "cron"], cwd=PROJECT_ROOT,
                            env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not db.session.scalar(select(func.count()).select_from(SyncRun)):
            assert time.monotonic() < deadline and cron.poll() is None, (tmp_path / "cron.log").read_text()
            time.sleep(0.1)
            db.session.expire_all()
        run = db.session.scalars(select(SyncRun)).one()
        run = wait_for_run(run.id)
    finally:
        cron.send_signal(signal.SIGINT)
        try:
            cron.wait(timeout=10)
        except subprocess.TimeoutExpired:
            cron.kill()
        log.close()

    assert (run.state, run.trigger, run.updated) == ("finished", "scheduled", 1)
    assert db.session.scalars(select(OrderItem.status).where(OrderItem.order_id == order.id)).all() == ["Shipped"]
    history = soup(logged_in.get(f"/embedded-services/sites/{pushing_site.site.id}/runs"))
    assert [td.get_text(strip=True) for td in history.select("td.run-who")] == ["Scheduled"]
