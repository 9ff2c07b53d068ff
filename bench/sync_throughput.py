"""How long sync runs take against a slow partner, next to the ideal the account's call cap allows.

    .venv/bin/python bench/sync_throughput.py            # 2,000 orders, 50 ms, cap 8, SQLite and PostgreSQL
    .venv/bin/python bench/sync_throughput.py --orders 500 --latency 20 --postgres none
    .venv/bin/python bench/sync_throughput.py --no-sqlite

For each database (SQLite in a temporary folder; PostgreSQL when it answers, in a database
dropped and created again) it builds a throwaway portal from the migrations with ``--orders``
eligible guest orders on one site, a private Redis, its own PressWise emulator answering after
``--latency`` ms, and one ``flask worker --queue sync --no-fork`` process (the Procfile's forks a
work horse per job; here the run executes in the worker itself so that its CPU time can be read). Then
it starts an Order Synchronization (every order is pushed) and, once that is done, an Order
Status Synchronization of the same orders, and prints for each:

- seconds: the run's own time (started to finished, as the run page shows it);
- ideal: orders x latency / cap, the time if every order took one call and the cap were always full;
- calls: partner calls the run made (the emulator counts them). An order run makes two per order:
  ``find_orders`` first (an older integration may have sent it: adopt, never duplicate), then
  ``add_purchase_order``; so its floor is 2 x the ideal above. "ideal/calls" is calls x latency /
  cap, and its ratio shows how close to the partner's pace the run itself gets.
- duplicates in the emulator (must be 0) and failed orders (must be 0);
- the worker's CPU time for the run: with two CPUs shared by the
  worker, the emulator, Redis and the database, this is what keeps a run from the ideal.
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
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(PROJECT_ROOT / "bench"))

from demo_seed import _cpu_model, _recreate_postgres  # noqa: E402
from presswise_roundtrip import CODE, PASSWORD, USER, Emulator  # noqa: E402

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/portal_sync_bench"
BATCH = 5_000


def environment(folder: Path, database_url: str, redis_url: str) -> dict:
    from cryptography.fernet import Fernet

    env = {
        "PORTAL_ENV": "dev", "PORTAL_DOTENV": "", "PORTAL_INSTANCE_PATH": str(folder / "instance"),
        "DATABASE_URL": database_url, "REDIS_URL": redis_url, "RQ_QUEUE": f"bench-{secrets.token_hex(4)}",
        "SECRET_KEY": secrets.token_hex(16), "PORTAL_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    }
    os.environ.update(env)
    return env


def build_schema():
    """A new app on the environment's database, with the schema from the migrations; its context pushed."""
    from flask_migrate import upgrade

    from portal import create_app

    app = create_app()
    context = app.app_context()
    context.push()
    upgrade()
    return app, context


def seed(orders: int, emulator_url: str, cap: int, *, pushed: bool = False):
    """One subscriber, site, account and link; ``orders`` eligible one-item guest orders, placed in the
    last days. ``pushed``: they are in PressWise already (push rows with emulator IDs 10500 + n)."""
    from sqlalchemy import insert

    from portal.extensions import db
    from portal.models import EmbeddedServicesAccount, Order, OrderIntegration, OrderItem, Site, SiteLink, Subscriber
    from portal.models.types import utcnow

    now = utcnow()
    subscriber = Subscriber(name="Bench Print", slug=f"bench-{secrets.token_hex(3)}", embedded_services_authorized_at=now)
    site = Site(subscriber=subscriber, name="Bench store")
    account = EmbeddedServicesAccount(subscriber=subscriber, name="Emulator", url=emulator_url, username=USER,
                                      max_concurrent_calls=cap)
    account.password, account.authorization_code = PASSWORD, CODE
    db.session.add_all([subscriber, site, account])
    db.session.flush()
    link = SiteLink(account=account, site=site, customer_id="1001", active=True, sync_orders=True, sync_status=True)
    db.session.add(link)
    db.session.commit()
    for start in range(0, orders, BATCH):
        numbers = range(start, min(orders, start + BATCH))
        db.session.execute(insert(Order.__table__), [
            {"id": n + 1, "site_id": site.id, "number": f"B-{n:06d}", "payment_status": "paid",
             "payment_method": "credit_card", "held_back": False, "subtotal": Decimal("49.50"),
             "total": Decimal("49.50"),
             "placed_at": now - timedelta(minutes=n % 20_000)} for n in numbers])
        db.session.execute(insert(OrderItem.__table__), [
            {"id": n + 1, "order_id": n + 1, "number": 1, "product_name": "Business cards", "part_number": "BC-1",
             "quantity": 500, "price": Decimal("49.50"), "approval": "approved"} for n in numbers])
        if pushed:
            db.session.execute(insert(OrderIntegration.__table__), [
                {"id": n + 1, "order_id": n + 1, "account_id": account.id, "state": "pushed",
                 "partner_order_id": str(10500 + n), "partner_status": "AUTO New",
                 "partner_job_ids": {"1": str(88200 + n)}, "pushed_at": now} for n in numbers])
        db.session.commit()
    _restart_postgres_sequences()
    _analyze()
    return link.id


def _restart_postgres_sequences() -> None:
    from sqlalchemy import text

    from portal.extensions import db

    if db.engine.dialect.name != "postgresql":
        return
    for table in ("order", "order_item", "order_integration"):
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                                f"coalesce((SELECT max(id) FROM \"{table}\"), 1))"))
    db.session.commit()


def _analyze() -> None:
    from sqlalchemy import text

    from portal.extensions import db

    db.session.execute(text("ANALYZE"))
    db.session.commit()


def start_worker(env: dict, log_path: Path, *, fork: bool = True) -> subprocess.Popen:
    from rq import Worker

    from portal.queue import redis_connection

    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--queue", "sync",
                                "--fork" if fork else "--no-fork"], cwd=PROJECT_ROOT, env={**os.environ, **env},
                               stdout=open(log_path, "wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not any(w.pid == process.pid for w in Worker.all(connection=redis_connection())):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"worker did not start: {log_path.read_text()[-2000:]}")
        time.sleep(0.1)
    return process


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_and_wait(link_id: int, kind: str, on_tick=None):
    """Start a run of ``kind`` on the link (handed to the worker) and wait for it to finish."""
    from portal.domain.sync import RunKind
    from portal.extensions import db
    from portal.integration.sync import start_run
    from portal.models import SiteLink, SyncRun

    link = db.session.get(SiteLink, link_id)
    run_id = start_run(link, RunKind(kind)).run.id
    while True:
        db.session.rollback()
        run = db.session.get(SyncRun, run_id, populate_existing=True)
        if run.state in ("finished", "failed", "cancelled", "interrupted"):
            db.session.commit()
            return run
        if on_tick:
            on_tick()
        time.sleep(0.05)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(value) for value in fields[11:13])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def emulator_get(emulator, path: str) -> dict:
    import requests

    base = emulator.url.split("/r/", 1)[0]
    response = requests.get(f"{base}/_control/{path}", headers={"X-Control-Token": emulator.token}, timeout=120)
    response.raise_for_status()
    return response.json()


def throughput(label: str, database_url: str, args, folder: Path, redis_url: str, emulator) -> None:
    env = environment(folder / label, database_url, redis_url)
    app, context = build_schema()
    try:
        link_id = seed(args.orders, emulator.url, args.cap)
        emulator.control("reset")
        emulator.control("latency", {"fixed_ms": args.latency, "jitter_ms": 0})
        # --no-fork: the run executes in the worker process itself, so its CPU time can be read.
        worker = start_worker(env, folder / f"worker-{label}.log", fork=False)
        try:
            for kind in ("orders", "status"):
                calls_before = len(emulator_get(emulator, "calls")["calls"])
                cpu_before = cpu_seconds(worker.pid)
                run = run_and_wait(link_id, kind)
                cpu = cpu_seconds(worker.pid) - cpu_before
                calls = len(emulator_get(emulator, "calls")["calls"]) - calls_before
                seconds = (run.finished_at - run.started_at).total_seconds()
                ideal = run.total * args.latency / 1000 / args.cap
                by_calls = calls * args.latency / 1000 / args.cap
                stored = [o["order"]["source_order_id"] for o in emulator_get(emulator, "orders")["orders"]]
                print(f"| {label} | {kind} | {run.total:,} | {seconds:.2f} | {ideal:.2f} | {seconds / ideal:.2f} "
                      f"| {calls:,} | {by_calls:.2f} | {seconds / by_calls:.2f} | {len(stored) - len(set(stored))} "
                      f"| {run.failed} | {cpu:.1f} |", flush=True)
        finally:
            stop(worker)
    finally:
        from portal.extensions import db

        db.session.remove()
        db.engine.dispose()
        context.pop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=50.0, help="emulator latency per call, ms")
    parser.add_argument("--cap", type=int, default=8, help="the account's partner calls at once")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
                        help="PostgreSQL URL whose database is dropped and recreated; 'none' to skip")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args()

    from portal import embedded_redis

    folder = Path(tempfile.mkdtemp(prefix="sync-bench-"))
    redis_process, redis_url = embedded_redis.start(folder / "redis")
    emulator = Emulator(None, None)
    print(f"# {os.cpu_count()} CPUs, {_cpu_model()}, Python {platform.python_version()}; {args.orders:,} orders, "
          f"emulator latency {args.latency:.0f} ms, cap {args.cap}; load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("| database | run | orders | seconds | ideal | ratio | calls | ideal/calls | ratio/calls | duplicates | failed "
          "| worker CPU s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    try:
        if not args.no_sqlite:
            throughput("sqlite", f"sqlite:///{folder / 'bench.db'}", args, folder, redis_url, emulator)
        if args.postgres.lower() != "none" and _recreate_postgres(args.postgres):
            throughput("postgresql", args.postgres, args, folder, redis_url, emulator)
    finally:
        emulator.stop()
        embedded_redis.stop(redis_process)
    return 0


if __name__ == "__main__":
    sys.exit(main())
