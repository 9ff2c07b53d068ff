"""How fast the admin's list and detail pages answer with 100,000 demo orders, and the pages of
synchronization runs (the site's Embedded Services tab, a run page with 2,000 outcomes, the
history, and the progress fragment a running run is polled with every second).

    .venv/bin/python bench/admin_pages.py                    # 100,000 orders, SQLite and PostgreSQL
    .venv/bin/python bench/admin_pages.py --orders 20000 --runs 10 --postgres none

Seeds a fresh database with ``flask demo seed`` (SQLite in a temporary folder; PostgreSQL
when it answers, in a database dropped and created again), signs in as the Acme Print
admin, and requests each page through the app in this process (no network, no browser:
the server side of a request, queries and template rendering). Prints the median, the 95th
percentile and the slowest of ``--runs`` requests per page. The runs are rows written here
(no worker): a finished Order Synchronization of the shop's newest orders and a running status run.
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
    from portal.models import AdminUser, Order, Site, SiteUser

    app = create_app({"WTF_CSRF_ENABLED": False})
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        seeded = seed_demo(args.orders)
        seed_embedded_services(seeded.subscribers["acme-print"], seeded.sites["Acme Print Shop"])
        print(f"\n{label}: seeded in {time.perf_counter() - started:.1f} s")
        admin = db.session.execute(select(AdminUser).where(AdminUser.email == ADMIN)).scalar_one()
        own = select(Order).join(Order.site).where(Site.subscriber_id == admin.subscriber_id)
        newest = db.session.execute(own.order_by(Order.placed_at.desc()).limit(1)).scalar_one()
        customer = db.session.get(SiteUser, newest.site_user_id)
        total = db.session.execute(select(db.func.count()).select_from(own.subquery())).scalar_one()
        deep_page = max(1, total // app.config["ORDERS_PER_PAGE"] - 1)
        site, run, running = _sync_runs(admin.subscriber_id)
        base = f"/embedded-services/sites/{site.id}"
        pages = [
            ("orders, page 1", "/orders/"),
            (f"orders, page {deep_page}", f"/orders/?page={deep_page}"),
            ("orders, exact number", f"/orders/?q={newest.number}"),
            ("orders, e-mail search", f"/orders/?q={customer.email.split('@')[0]}"),
            ("orders, unpaid + pending", "/orders/?payment=unpaid&approval=pending"),
            ("orders, pending eDoc", "/orders/?edoc=pending"),
            ("order page", f"/orders/{newest.id}"),
            ("site users, search", "/users/?q=silva"),
            ("sites", "/sites/"),
            ("site Embedded Services tab", base),
            (f"run page ({run.done:,} orders)", f"{base}/runs/{run.id}"),
            ("run page, skipped only", f"{base}/runs/{run.id}?outcome=skipped"),
            ("run history", f"{base}/runs"),
            ("progress fragment (HTMX)", f"{base}/runs/{running.id}/progress"),
        ]
        db.session.remove()

    client = app.test_client()
    response = client.post("/auth/login", data={"email": ADMIN, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    print(f"{'page':<34}{'median ms':>10}{'p95 ms':>8}{'max ms':>9}")
    for name, url in pages:
        timings = []
        headers = {"HX-Request": "true"} if "HTMX" in name else {}
        for _ in range(args.runs):
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        ordered = sorted(timings)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        print(f"{name:<34}{statistics.median(timings):>10.1f}{p95:>8.1f}{max(timings):>9.1f}", flush=True)
    with app.app_context():
        db.engine.dispose()


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
