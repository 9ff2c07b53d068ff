"""Orders pushed per second by real worker processes, against the ideal the partner's latency allows.

Builds a throwaway portal (SQLite in a temp folder, or the PostgreSQL database ``--database-url``
names, emptied first), a private Redis and its own PressWise emulator with ``--latency`` ms per
call. For each worker count it starts that many ``flask worker --queue push`` processes, queues
``--orders`` eligible guest orders at once in the database (one partner call each:
add_purchase_order), and times from handing out their jobs until every push is settled. It prints orders/s, the ideal (workers / latency), their
ratio, duplicates in the emulator (must be 0) and "database is locked" lines in the worker
logs (must be 0).

    .venv/bin/python bench/push_throughput.py [--orders 1000] [--latency 50] [--workers 1,2,4]
        [--database-url postgresql://postgres@127.0.0.1:5432/portal_bench]
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from bench.presswise_roundtrip import CODE, PASSWORD, USER, Emulator  # noqa: E402


def ensure_postgres_database(database_url: str) -> None:
    """Create the named PostgreSQL database when it does not exist (the script empties it anyway)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    server = create_engine(url.set(drivername="postgresql+psycopg", database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            if connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                  {"name": url.database}).first() is None:
                connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    finally:
        server.dispose()


def prepare_environment(folder: Path, database_url: str | None, redis_url: str) -> dict:
    from cryptography.fernet import Fernet

    env = {
        "PORTAL_ENV": "dev", "PORTAL_DOTENV": "", "PORTAL_INSTANCE_PATH": str(folder / "instance"),
        "DATABASE_URL": database_url or f"sqlite:///{folder / 'bench.db'}", "REDIS_URL": redis_url,
        "RQ_QUEUE": f"bench-{secrets.token_hex(4)}", "SECRET_KEY": secrets.token_hex(16),
        "PORTAL_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    }
    os.environ.update(env)
    return env


def build_portal(orders: int, emulator_url: str):
    """Schema from the migrations, one subscriber, site, account and link, and ``orders`` eligible orders."""
    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db
    from portal.models import EmbeddedServicesAccount, Order, OrderItem, Site, SiteLink, Subscriber
    from portal.models.types import utcnow

    app = create_app()
    context = app.app_context()
    context.push()
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # Whatever an earlier run (of another revision) left: start from an empty schema.
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    upgrade()
    subscriber = Subscriber(name="Bench Print", slug=f"bench-{secrets.token_hex(3)}", embedded_services_authorized_at=utcnow())
    site = Site(subscriber=subscriber, name="Bench store")
    account = EmbeddedServicesAccount(subscriber=subscriber, name="Emulator", url=emulator_url, username=USER)
    account.password, account.authorization_code = PASSWORD, CODE
    db.session.add_all([subscriber, site, account])
    db.session.flush()
    db.session.add(SiteLink(account=account, site=site, customer_id="1001", active=True, sync_orders=True))
    for n in range(orders):
        order = Order(site=site, number=f"B-{n:06d}", payment_status="paid", payment_method="credit_card",
                      subtotal=Decimal("49.50"), total=Decimal("49.50"), placed_at=utcnow())
        order.items.append(OrderItem(number=1, product_name="Business cards", part_number="BC-1", quantity=500,
                                     price=Decimal("49.50"), approval="approved"))
        db.session.add(order)
    db.session.commit()
    return app, account


def queue_all(account) -> list[int]:
    from sqlalchemy import delete, select

    from portal.domain.push import Trigger
    from portal.extensions import db
    from portal.integration.push import request_pushes
    from portal.models import Order, OrderIntegration, PushAttempt

    db.session.execute(delete(PushAttempt))
    db.session.execute(delete(OrderIntegration))
    db.session.commit()
    requests = request_pushes(db.session.scalars(select(Order.id).order_by(Order.id)).all(), account,
                              trigger=Trigger.AUTOMATIC)
    db.session.commit()
    return [request.integration_id for request in requests.values()]


def enqueue_all(ids: list[int]) -> None:
    from portal.integration.push import enqueue_push

    for integration_id in ids:
        enqueue_push(integration_id)


def settled_count() -> int:
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import OrderIntegration

    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(OrderIntegration)
                             .where(OrderIntegration.state.in_(["pushed", "adopted", "failed"])))


def start_workers(count: int, env: dict, logs: Path, fork: bool) -> list[tuple[subprocess.Popen, Path]]:
    workers = []
    for n in range(count):
        log_path = logs / f"worker-{count}-{n}.log"
        process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--queue", "push",
                                    "--fork" if fork else "--no-fork"],
                                   cwd=PROJECT_ROOT, env={**os.environ, **env}, stdout=open(log_path, "wb"),
                                   stderr=subprocess.STDOUT)
        workers.append((process, log_path))
    return workers


def wait_for_workers(count: int) -> None:
    from rq import Worker

    from portal.queue import redis_connection, task_queue

    deadline = time.monotonic() + 60
    name = task_queue("push").name
    while sum(1 for w in Worker.all(connection=redis_connection()) if name in w.queue_names()) < count:
        if time.monotonic() > deadline:
            raise SystemExit("workers did not start")
        time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=50.0, help="emulator latency per call, ms")
    parser.add_argument("--workers", default="1,2,4", help="worker process counts, comma separated")
    parser.add_argument("--no-fork", action="store_true", help="workers run jobs in-process (flask worker --no-fork)")
    parser.add_argument("--database-url", help="a PostgreSQL database to empty and use (default: SQLite in a temp folder)")
    args = parser.parse_args()

    from portal import embedded_redis

    if args.database_url:
        ensure_postgres_database(args.database_url)
    folder = Path(tempfile.mkdtemp(prefix="push-bench-"))
    redis_process, redis_url = embedded_redis.start(folder / "redis")
    emulator = Emulator(None, None)
    env = prepare_environment(folder, args.database_url, redis_url)
    app, account = build_portal(args.orders, emulator.url)
    dialect = app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0].split("+")[0]
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"{dialect}, {args.orders} orders, emulator latency {args.latency:.0f} ms")
    print("| database | workers | seconds | orders/s | ideal/s | ratio | duplicates | failed | locked |")
    print("|---|---|---|---|---|---|---|---|---|")
    try:
        for count in [int(n) for n in args.workers.split(",")]:
            emulator.control("reset")
            emulator.control("latency", {"fixed_ms": args.latency, "jitter_ms": 0})
            workers = start_workers(count, env, folder, fork=not args.no_fork)
            try:
                wait_for_workers(count)
                ids = queue_all(account)
                # From here: the orders are queued in the database, as after a burst of orders or a
                # Resume; the clock runs from handing out their jobs to the last settled push.
                started = time.monotonic()
                enqueue_all(ids)
                while settled_count() < len(ids):
                    time.sleep(0.05)
                elapsed = time.monotonic() - started
            finally:
                for process, _ in workers:
                    process.terminate()
                for process, _ in workers:
                    process.wait(timeout=30)
            stored = emulator_orders(emulator)
            duplicates = len(stored) - len(set(stored))
            failed = failed_count()
            locked = sum(log.read_text(errors="replace").lower().count("database is locked") for _, log in workers)
            rate = len(ids) / elapsed
            ideal = count / (args.latency / 1000)
            print(f"| {dialect} | {count} | {elapsed:.1f} | {rate:.1f} | {ideal:.0f} | {rate / ideal:.2f} "
                  f"| {duplicates} | {failed} | {locked} |", flush=True)
    finally:
        emulator.stop()
        embedded_redis.stop(redis_process)


def emulator_orders(emulator) -> list[str]:
    import requests

    base = emulator.url.split("/r/", 1)[0]
    response = requests.get(f"{base}/_control/orders", headers={"X-Control-Token": emulator.token}, timeout=60)
    response.raise_for_status()
    return [o["order"]["source_order_id"] for o in response.json()["orders"]]


def failed_count() -> int:
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import OrderIntegration

    return db.session.scalar(select(func.count()).select_from(OrderIntegration).where(OrderIntegration.state == "failed"))


if __name__ == "__main__":
    main()
