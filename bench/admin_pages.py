"""How fast the admin's list and detail pages answer with 100,000 demo orders, and how many SQL
queries each request makes; also the pages of synchronization runs (the site's Embedded Services
tab, a run page with 2,000 outcomes, the history, and the progress fragment a running run is
polled with every second).

    .venv/bin/python bench/admin_pages.py                    # 100,000 orders, SQLite and PostgreSQL
    .venv/bin/python bench/admin_pages.py --orders 20000 --runs 10 --postgres none

Seeds a fresh database with ``flask demo seed`` (SQLite in a temporary folder; PostgreSQL
when it answers, in a database dropped and created again), signs in as the Acme Print
admin, and requests each page through the app in this process (no network, no browser:
the server side of a request, queries and template rendering). Prints the median, the 95th
percentile and the slowest of ``--runs`` requests per page, and the SQL statements one request
sent (counted on the engine; it must not grow with the number of orders). Rows the seed does not
write are written here (no worker): pushes of every eligible order of the sites with a partner
account (most pushed, some failed, retrying or queued), a finished Order Synchronization of the
shop's newest orders and a running status run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from demo_seed import DEFAULT_POSTGRES, _cpu_model, _recreate_postgres  # noqa: E402

ADMIN = "admin@acme-print.example"
PASSWORD = "demo-password"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES.replace(
        "portal_demo_bench", "portal_pages_bench")), help="PostgreSQL URL (recreated), or 'none'")
    args = parser.parse_args()

    print(f"machine: {os.cpu_count()} CPUs, {_cpu_model()}; {args.orders:,} demo orders; {args.runs} runs per page")
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="pages-bench-") as tmp:
        _measure("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", Path(tmp), args)
        if args.postgres.lower() != "none" and _recreate_postgres(args.postgres):
            _measure("postgresql", args.postgres, Path(tmp), args)
    return 0


def _measure(label: str, database_url: str, tmp: Path, args) -> None:
    os.environ.update({
        "DATABASE_URL": database_url,
        "PORTAL_INSTANCE_PATH": str(tmp / f"instance-{label}"),
        "PORTAL_ENV": "dev",
        "REDIS_URL": "redis://127.0.0.1:1/0",  # pages never reach the queue
        "PRESSWISE_EMULATOR_URL": "http://127.0.0.1:9/r/wsdl-order2.php",
    })
    from flask_migrate import upgrade
    from sqlalchemy import select

    from portal import create_app
    from portal.accounts.demo import seed_embedded_services
    from portal.demo.seed import seed_demo
    from portal.extensions import db
    from portal.models import AdminUser, Order, OrderIntegration, Site, SiteUser

    app = create_app({"WTF_CSRF_ENABLED": False})
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        seeded = seed_demo(args.orders)
        seed_embedded_services(seeded.subscribers["acme-print"], seeded.sites["Acme Print Shop"])
        seed_embedded_services(seeded.subscribers["northwind-press"], seeded.sites["Northwind Press Store"])
        pushes = _push_rows()
        if label == "postgresql":
            # What autovacuum does within a minute of a bulk load like this seed: without statistics
            # the planner takes 70,000 orders for 1,000 and walks all of them for one page of failed pushes.
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")
        print(f"\n{label}: seeded in {time.perf_counter() - started:.1f} s ({pushes:,} order pushes)")
        admin = db.session.execute(select(AdminUser).where(AdminUser.email == ADMIN)).scalar_one()
        own = select(Order).join(Order.site).where(Site.subscriber_id == admin.subscriber_id)
        newest = db.session.execute(own.order_by(Order.placed_at.desc()).limit(1)).scalar_one()
        customer = db.session.get(SiteUser, newest.site_user_id)
        total = db.session.execute(select(db.func.count()).select_from(own.subquery())).scalar_one()
        deep_page = max(1, total // app.config["ORDERS_PER_PAGE"] - 1)
        pushed = db.session.execute(own.where(Order.id.in_(select(OrderIntegration.order_id)))
                                    .order_by(Order.placed_at.desc()).limit(1)).scalar_one()
        _attempts(pushed.id)
        site, run, running = _sync_runs(admin.subscriber_id)
        base = f"/embedded-services/sites/{site.id}"
        pages = [
            ("orders, page 1", "/orders/"),
            (f"orders, page {deep_page}", f"/orders/?page={deep_page}"),
            ("orders, exact number", f"/orders/?q={newest.number}"),
            ("orders, e-mail search", f"/orders/?q={customer.email.split('@')[0]}"),
            ("orders, unpaid + pending", "/orders/?payment=unpaid&approval=pending"),
            ("orders, pending eDoc", "/orders/?edoc=pending"),
            ("orders, failed pushes", "/orders/?push=failed"),
            ("orders, pushed", "/orders/?push=pushed"),
            ("orders, not eligible", "/orders/?push=not_eligible"),
            ("orders, no account", "/orders/?push=no_account"),
            ("order page", f"/orders/{newest.id}"),
            ("order page, pushed", f"/orders/{pushed.id}"),
            ("order Embedded Services tab", f"/orders/{pushed.id}/embedded-services"),
            ("site users, search", "/users/?q=silva"),
            ("sites", "/sites/"),
            ("site Embedded Services tab", base),
            (f"run page ({run.done:,} orders)", f"{base}/runs/{run.id}"),
            ("run page, skipped only", f"{base}/runs/{run.id}?outcome=skipped"),
            ("run history", f"{base}/runs"),
            ("progress fragment (HTMX)", f"{base}/runs/{running.id}/progress"),
        ]
        db.session.remove()
        statements = _statement_counter(db.engine)

    client = app.test_client()
    response = client.post("/auth/login", data={"email": ADMIN, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    print(f"{'page':<34}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>9}{'queries':>9}")
    for name, url in pages:
        timings, queries = [], set()
        headers = {"HX-Request": "true"} if "HTMX" in name else {}
        for _ in range(args.runs):
            statements.clear()
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            timings.append((time.perf_counter() - started) * 1000)
            queries.add(len(statements))
            assert response.status_code == 200, (url, response.status_code)
        ordered = sorted(timings)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        # A count that changed between runs of the same page shows as "low-high".
        counted = "-".join(str(n) for n in sorted({min(queries), max(queries)}))
        print(f"{name:<34}{statistics.median(timings):>8.1f}{p95:>8.1f}{max(timings):>9.1f}{counted:>9}", flush=True)
    with app.app_context():
        db.engine.dispose()


def _statement_counter(engine) -> list:
    """A list that gets one entry per SQL statement the engine sends (an executemany is one)."""
    from sqlalchemy import event

    statements: list = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    return statements


# The states pushes end up in, by share (the rest is pushed).
PUSH_STATES = (("failed", 0.12), ("retrying", 0.08), ("queued", 0.06), ("unknown", 0.03), ("adopted", 0.05))


def _push_rows() -> int:
    """An order_integration row for every eligible order of a site with an active link, to that link's
    account, in the states of ``PUSH_STATES``; the seed writes none. Returns how many."""
    import random

    from sqlalchemy import insert, select

    from portal.extensions import db
    from portal.models import Order, OrderIntegration, SiteLink
    from portal.models.types import utcnow
    from portal.orders.queries import not_eligible

    rng = random.Random(7)
    now = utcnow()
    states, weights = zip(*PUSH_STATES, ("pushed", 1 - sum(share for _, share in PUSH_STATES)))
    written = 0
    for link in db.session.scalars(select(SiteLink).where(SiteLink.active.is_(True))).all():
        order_ids = db.session.scalars(select(Order.id).where(Order.site_id == link.site_id, ~not_eligible())).all()
        rows = []
        for order_id in order_ids:
            state = rng.choices(states, weights)[0]
            done = state in ("pushed", "adopted")
            rows.append({"order_id": order_id, "account_id": link.account_id, "state": state,
                         "partner_order_id": str(10_000 + order_id) if done else None, "partner_job_ids": {},
                         "last_error": None if done or state == "queued" else "PressWise fault: Internal Server Error",
                         "attempt_count": 0 if state == "queued" else 1, "reconcile_first": False,
                         "trigger": "automatic", "requested_by": "", "pushed_at": now if done else None,
                         "created_at": now, "updated_at": now})
        for start in range(0, len(rows), 5_000):
            db.session.execute(insert(OrderIntegration.__table__), rows[start:start + 5_000])
        written += len(rows)
    db.session.commit()
    # As the seed does after its bulk load (portal.demo.seed): VACUUM lets counts read the index alone.
    vacuum = "VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f"{vacuum} order_integration")
    return written


def _attempts(order_id: int) -> None:
    """Three attempts on each push of the order whose Embedded Services tab is measured."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import OrderIntegration, PushAttempt
    from portal.models.types import utcnow

    for integration in db.session.scalars(select(OrderIntegration).where(OrderIntegration.order_id == order_id)):
        for outcome in ("retrying", "retrying", "pushed"):
            db.session.add(PushAttempt(integration=integration, started_at=utcnow(), finished_at=utcnow(),
                                       outcome=outcome, message="Bench attempt."))
    db.session.commit()


def _sync_runs(subscriber_id: int, outcomes: int = 2_000):
    """A finished Order Synchronization over the newest orders of the subscriber's first linked site
    (pushed, skipped and failed outcomes), and a running status run to poll."""
    from sqlalchemy import insert, select

    from portal.extensions import db
    from portal.models import EmbeddedServicesAccount, Order, SiteLink, SyncOutcome, SyncRun
    from portal.models.types import utcnow

    link = db.session.execute(select(SiteLink).join(SiteLink.account)
                              .where(EmbeddedServicesAccount.subscriber_id == subscriber_id)
                              .order_by(SiteLink.id).limit(1)).scalar_one()
    order_ids = db.session.scalars(select(Order.id).where(Order.site_id == link.site_id)
                                   .order_by(Order.placed_at.desc()).limit(outcomes)).all()
    now = utcnow()
    kinds = ["pushed"] * 6 + ["skipped"] * 3 + ["failed"]
    run = SyncRun(kind="orders", site_id=link.site_id, account_id=link.account_id, started_by_name="Bench",
                  state="finished", total=len(order_ids), done=len(order_ids), started_at=now, finished_at=now,
                  pushed=sum(1 for i in range(len(order_ids)) if kinds[i % 10] == "pushed"),
                  skipped=sum(1 for i in range(len(order_ids)) if kinds[i % 10] == "skipped"),
                  failed=sum(1 for i in range(len(order_ids)) if kinds[i % 10] == "failed"))
    running = SyncRun(kind="status", site_id=link.site_id, account_id=link.account_id, started_by_name="Bench",
                      state="running", total=50_000, done=12_345, updated=321, started_at=now, active_key="bench")
    db.session.add_all([run, running])
    db.session.flush()
    db.session.execute(insert(SyncOutcome.__table__), [
        {"run_id": run.id, "order_id": order_id, "outcome": kinds[i % 10], "flagged": False,
         "detail": {"pushed": "PressWise order 10500.", "skipped": "The order is not paid and not on open terms.",
                    "failed": "PressWise fault SOAP-ENV:Server: Internal Server Error"}[kinds[i % 10]],
         "partner_order_id": "10500" if kinds[i % 10] == "pushed" else None, "created_at": now}
        for i, order_id in enumerate(order_ids)])
    db.session.commit()
    return link.site, run, running


if __name__ == "__main__":
    sys.exit(main())
