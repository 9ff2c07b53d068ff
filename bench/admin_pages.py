"""How fast the admin's list and detail pages answer with 100,000 demo orders.

    .venv/bin/python bench/admin_pages.py                    # 100,000 orders, SQLite and PostgreSQL
    .venv/bin/python bench/admin_pages.py --orders 20000 --runs 10 --postgres none

Seeds a fresh database with ``flask demo seed`` (SQLite in a temporary folder; PostgreSQL
when it answers, in a database dropped and created again), signs in as the Acme Print
admin, and requests each page through the app in this process (no network, no browser:
the server side of a request, queries and template rendering). Prints the median and the
slowest of ``--runs`` requests per page.
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
    from portal.demo.seed import seed_demo
    from portal.extensions import db
    from portal.models import AdminUser, Order, Site, SiteUser

    app = create_app({"WTF_CSRF_ENABLED": False})
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        seed_demo(args.orders)
        print(f"\n{label}: seeded in {time.perf_counter() - started:.1f} s")
        admin = db.session.execute(select(AdminUser).where(AdminUser.email == ADMIN)).scalar_one()
        own = select(Order).join(Order.site).where(Site.subscriber_id == admin.subscriber_id)
        newest = db.session.execute(own.order_by(Order.placed_at.desc()).limit(1)).scalar_one()
        customer = db.session.get(SiteUser, newest.site_user_id)
        total = db.session.execute(select(db.func.count()).select_from(own.subquery())).scalar_one()
        deep_page = max(1, total // app.config["ORDERS_PER_PAGE"] - 1)
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
        ]
        db.session.remove()

    client = app.test_client()
    response = client.post("/auth/login", data={"email": ADMIN, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    print(f"{'page':<28}{'median ms':>10}{'max ms':>9}")
    for name, url in pages:
        timings = []
        for _ in range(args.runs):
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        print(f"{name:<28}{statistics.median(timings):>10.1f}{max(timings):>9.1f}", flush=True)
    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
