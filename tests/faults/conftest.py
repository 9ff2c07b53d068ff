"""The portal under load, as production runs it, for the fault tests.

``portal_under_load`` starts a private Redis and the processes of the Procfile on it: four
``flask worker --queue default --queue push --no-fork`` processes, a sync worker (forking, as in the
Procfile) and ``flask cron`` (the sweeps, every second here), all on the test's database and the
session's PressWise emulator. The test process is the web: an admin's test client on a portal
app wired to the same Redis. Everything is stopped (killed if need be) before the tables are
emptied for the next test.

Sizes: ``make test`` runs the bounded version (``FAULTS_ORDERS``, default 300 orders);
``make soak`` runs 1,000 orders (and more when asked: ``make soak FAULTS_ORDERS=5000``).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest
from redis import Redis
from rq.registry import FailedJobRegistry, StartedJobRegistry
from sqlalchemy import func, select

from portal import create_app, embedded_redis
from portal.extensions import db
from portal.models import OrderIntegration, SyncRun
from portal.queue import queue_names
from tests import factories
from tests.conftest import PROJECT_ROOT, PortalClient, soup
from tests.fixtures.push import WorkerProcess, wait_until

SETTLED = ("pushed", "adopted", "failed")
# Every fault test's figures, printed together at the end of the run (passed tests' output is hidden).
REPORTED: list[str] = []


def pytest_terminal_summary(terminalreporter):
    if REPORTED:
        terminalreporter.section("faults under load: figures")
        for line in REPORTED:
            terminalreporter.write_line(line)


def fault_orders() -> int:
    return int(os.environ.get("FAULTS_ORDERS") or 300)


# Every call ends within 2 s (a hang costs that much); every push's three calls fit in its 8 s
# lease, so a killed worker's push is taken over after 8 s; a run whose worker is gone for 5 s is
# interrupted; retries a second apart, five of them.
PROCESS_SETTINGS = {
    "PARTNER_CONNECT_TIMEOUT": "1",
    "PARTNER_READ_TIMEOUT": "1",
    "PUSH_LEASE_SECONDS": "8",
    "PUSH_RETRY_DELAYS": "1,1,1,1,1",
    "SWEEP_INTERVAL": "1",
    "SYNC_STALE_SECONDS": "5",
}


@dataclass
class Clicks:
    """Push Order pressed by an admin while everything else runs: the answers' status codes."""
    statuses: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)


class PortalUnderLoad:
    def __init__(self, tmp_path: Path, site, admin):
        self.tmp_path = tmp_path
        self.site_id = site.id
        # Plain values: clients sign in from threads, where the test's ORM objects cannot load.
        self.admin = SimpleNamespace(email=admin.email)
        self.base = f"faults-{os.getpid()}-{time.monotonic_ns()}"
        self.redis_dir = tmp_path / "redis"
        self.redis_process, self.redis_url = embedded_redis.start(self.redis_dir)
        self.env = {"REDIS_URL": self.redis_url, "RQ_QUEUE": self.base, **PROCESS_SETTINGS}
        self.app = create_app({"SERVER_NAME": "portal.test", "REDIS_URL": self.redis_url, "RQ_QUEUE": self.base})
        self.app.test_client_class = PortalClient
        self.push_workers: list[WorkerProcess] = []
        self.sync_workers: list[WorkerProcess] = []
        self.cron: subprocess.Popen | None = None
        self.redis_restarts = 0

    # --- processes -----------------------------------------------------------------------

    def start(self, push_workers: int = 4) -> "PortalUnderLoad":
        for n in range(push_workers):
            self.push_workers.append(self._worker(f"push-worker-{n}", "--queue", "default", "--queue", "push",
                                                  "--no-fork"))
        self.start_sync_worker()
        log = open(self.tmp_path / "cron.log", "ab")
        self.cron = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "cron"], cwd=PROJECT_ROOT,
                                     env=dict(os.environ, **self.env), stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        log.close()
        return self

    def start_sync_worker(self) -> WorkerProcess:
        worker = self._worker(f"sync-worker-{len(self.sync_workers)}", "--queue", "sync")
        self.sync_workers.append(worker)
        return worker

    def _worker(self, name: str, *args: str) -> WorkerProcess:
        return WorkerProcess(self.tmp_path / f"{name}.log", env=self.env, args=args).start(timeout=60)

    def restart_redis(self, down_for: float = 1.0) -> None:
        """Redis goes away and comes back empty (it keeps nothing on disk): every queued job is lost."""
        embedded_redis.stop(self.redis_process)
        time.sleep(down_for)
        self.redis_process, url = embedded_redis.start(self.redis_dir)
        assert url == self.redis_url
        self.redis_restarts += 1

    def stop(self) -> None:
        for worker in [*self.push_workers, *self.sync_workers]:
            worker.stop()
        if self.cron is not None and self.cron.poll() is None:
            os.killpg(self.cron.pid, signal.SIGTERM)
            try:
                self.cron.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.cron.pid, signal.SIGKILL)
                self.cron.wait(timeout=10)
        embedded_redis.stop(self.redis_process)
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()

    def logs(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in sorted(self.tmp_path.glob("*.log")))

    def log_tails(self, chars: int = 1500) -> str:
        return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')[-chars:]}"
                         for path in sorted(self.tmp_path.glob("*.log")))

    # --- what an admin and the storefront do --------------------------------------------

    def client(self) -> PortalClient:
        client = self.app.test_client()
        client.login(self.admin)
        return client

    def orders_become_eligible(self, orders) -> threading.Thread:
        """In a thread: each order's last rule turns true, one after another (as ``portal.orders.events``
        reports it), and its push is queued."""
        from portal.integration.push import push_when_eligible
        from portal.models import Order

        order_ids = [order.id for order in orders]

        def storefront():
            with self.app.app_context():
                for order_id in order_ids:
                    push_when_eligible(db.session.get(Order, order_id))
                    db.session.remove()

        thread = threading.Thread(target=storefront, name="orders-become-eligible", daemon=True)
        thread.start()
        return thread

    def start_order_synchronization(self, link) -> int:
        client = self.client()
        response = client.htmx("post", f"/embedded-services/sites/{link.site_id}/links/{link.id}/sync-orders")
        assert response.status_code == 200, response.text
        progress = soup(response).select_one(".sync-progress")
        return int(progress["hx-get"].rsplit("/runs/", 1)[1].split("/")[0])

    def click_push_order(self, orders, account, clicks: Clicks, *, count: int, seed: int = 7) -> threading.Thread:
        """In a thread: ``count`` Push Order presses on random orders (some twice in a row: a double click)."""
        chosen = random.Random(seed).choices([order.id for order in orders], k=count)
        account_id = account.id

        def press():
            client = self.client()
            for order_id in chosen:
                for _ in range(2 if order_id % 3 == 0 else 1):
                    response = client.htmx("post", f"/orders/{order_id}/embedded-services/{account_id}/push")
                    clicks.statuses[response.status_code] += 1
                    if response.status_code != 200:
                        clicks.errors.append(f"order {order_id}: {response.status_code} {response.text[:300]}")

        thread = threading.Thread(target=press, name="push-order-clicks", daemon=True)
        thread.start()
        return thread

    def morning_rush(self, orders, link, *, clicks: int, timeout: float) -> tuple[int, Clicks, float]:
        """Everything at once: the admin starts Order Synchronization and presses Push Order ``clicks``
        times while the storefront makes ``orders`` eligible; then until all is done. Returns the
        run's ID, the clicks' answers and the seconds it all took."""
        started = time.monotonic()
        run_id = self.start_order_synchronization(link)
        answers = Clicks()
        clicking = self.click_push_order(orders, link.account, answers, count=clicks)
        self.orders_become_eligible(orders).join(timeout=timeout)
        clicking.join(timeout=timeout)
        assert not clicking.is_alive(), "the Push Order clicks never ended"
        self.wait_until_done(link.account, run_id, timeout=timeout)
        return run_id, answers, time.monotonic() - started

    def resume_run(self, run_id: int) -> None:
        client = self.client()
        response = client.htmx("post", f"/embedded-services/sites/{self.site_id}/runs/{run_id}/resume")
        assert response.status_code == 200, response.text

    # --- the truth ------------------------------------------------------------------------

    def unsettled(self, account) -> int:
        return self._pushes(account, OrderIntegration.state.not_in(SETTLED))

    def retaken(self, account) -> int:
        """Pushes that took more than one attempt (a claim taken over, a retry)."""
        return self._pushes(account, OrderIntegration.attempt_count > 1)

    def settled_count(self, account) -> int:
        return self._pushes(account, OrderIntegration.state.in_(SETTLED))

    def _pushes(self, account, condition) -> int:
        """How many of the account's push rows meet ``condition``, as the workers have committed them."""
        db.session.expire_all()
        count = db.session.scalar(select(func.count()).select_from(OrderIntegration).where(
            OrderIntegration.account_id == account.id, condition))
        db.session.commit()
        return count

    def run(self, run_id: int) -> SyncRun:
        db.session.expire_all()
        run = db.session.get(SyncRun, run_id)
        db.session.commit()
        return run

    def jobs_busy(self) -> bool:
        """A push or sync job still waiting or running (on this portal's Redis)."""
        connection = Redis.from_url(self.redis_url)
        try:
            names = queue_names(self.base)
            for kind in ("push", "sync"):
                if connection.llen(f"rq:queue:{names[kind]}"):
                    return True
            from rq import Queue

            for kind in ("push", "sync"):
                if StartedJobRegistry(queue=Queue(names[kind], connection=connection)).get_job_ids():
                    return True
            return False
        finally:
            connection.close()

    def failed_jobs(self) -> list[str]:
        from rq import Queue

        connection = Redis.from_url(self.redis_url)
        try:
            found = []
            for kind, name in queue_names(self.base).items():
                registry = FailedJobRegistry(queue=Queue(name, connection=connection))
                found.extend(f"{kind}:{job_id}" for job_id in registry.get_job_ids())
            return found
        finally:
            connection.close()

    def wait_until_done(self, account, run_id: int | None, *, timeout: float, resume_interrupted: bool = False,
                        on_progress=None) -> dict:
        """Until every push is settled, the run is finished and no job waits; returns what happened on the way."""
        seen = {"resumed": 0, "run_states": []}

        def done() -> bool:
            if on_progress is not None:
                on_progress(self.settled_count(account))
            if run_id is not None:
                run = self.run(run_id)
                if not seen["run_states"] or seen["run_states"][-1] != run.state:
                    seen["run_states"].append(run.state)
                if run.state == "interrupted" and resume_interrupted:
                    self.resume_run(run_id)  # what the admin does, reading "Interrupted" on the tab
                    seen["resumed"] += 1
                    return False
                if run.state != "finished":
                    return False
            return self.unsettled(account) == 0 and not self.jobs_busy()

        wait_until(done, timeout=timeout, interval=0.5,
                   message=lambda: f"still under way: {self.unsettled(account)} pushes unsettled, run "
                                   f"{self.run(run_id).state if run_id else '-'}\n{self.log_tails()}")
        return seen


@pytest.fixture
def portal_under_load(app, admin, pushing_site, presswise, tmp_path):
    portal = PortalUnderLoad(tmp_path, pushing_site.site, admin)
    try:
        yield portal
    finally:
        portal.stop()


def eligible_orders(site, count: int, *, users: int = 25, prefix: str = "F") -> list:
    """``count`` paid, approved orders of ``users`` site users (several orders each: their PressWise
    logins are created by whichever push comes first), committed, with no push asked for yet."""
    buyers = [factories.site_user(site) for _ in range(users)]
    orders = [factories.order(site, user=buyers[n % users], paid=True, number=f"{prefix}-{n:05d}")
              for n in range(count)]
    db.session.commit()
    return orders


@dataclass
class Figures:
    name: str
    orders: int
    in_presswise: int
    duplicates: int
    lost: list[str]
    states: dict
    failed_without_reason: int
    elapsed: float
    extra: dict = field(default_factory=dict)

    def line(self) -> str:
        extra = " ".join(f"{key}={value}" for key, value in self.extra.items())
        return (f"{self.name} [{db.engine.dialect.name}]: orders={self.orders} in_presswise={self.in_presswise} "
                f"duplicates={self.duplicates} lost={len(self.lost)} states={dict(sorted(self.states.items()))} "
                f"elapsed={self.elapsed:.1f}s {extra}")

    def report(self) -> None:
        """Print the figures now and again in the run's summary."""
        print(self.line())
        REPORTED.append(self.line())


def figures(name: str, orders, account, presswise, elapsed: float, **extra) -> Figures:
    """What PressWise and the database say about ``orders``: duplicates (an order number twice in
    PressWise) and lost orders (no settled row, a pushed row PressWise does not have under its number,
    a failed row without its reason)."""
    db.session.expire_all()
    rows = {row.order_id: row for row in db.session.scalars(
        select(OrderIntegration).where(OrderIntegration.account_id == account.id))}
    db.session.commit()
    stored = Counter()
    partner_ids: dict[str, set[str]] = {}
    for entry in presswise.orders():
        number = entry["order"]["source_order_id"]
        stored[number] += 1
        partner_ids.setdefault(number, set()).add(str(entry["order"]["id"]))
    lost = []
    for order in orders:
        row = rows.get(order.id)
        if row is None or row.state not in SETTLED:
            lost.append(f"{order.number}: {row.state if row else 'no push row'}")
        elif row.state in ("pushed", "adopted") and row.partner_order_id not in partner_ids.get(order.number, set()):
            lost.append(f"{order.number}: {row.state} as {row.partner_order_id}, PressWise has "
                        f"{sorted(partner_ids.get(order.number, set()))}")
        elif row.state == "failed" and not row.last_error:
            lost.append(f"{order.number}: failed without a reason")
    return Figures(
        name=name, orders=len(orders), in_presswise=sum(stored.values()),
        duplicates=sum(count - 1 for count in stored.values() if count > 1), lost=lost,
        states=dict(Counter(row.state for row in rows.values())),
        failed_without_reason=sum(1 for row in rows.values() if row.state == "failed" and not row.last_error),
        elapsed=elapsed, extra=extra)
