"""How fast ``flask demo seed --orders N`` fills an empty database.

    .venv/bin/python bench/demo_seed.py                       # N = 10,000 and 100,000
    .venv/bin/python bench/demo_seed.py --orders 10000 --orders 50000
    .venv/bin/python bench/demo_seed.py --postgres postgresql://postgres@127.0.0.1:5432/portal_demo_bench

Each run starts from a fresh database built by the migrations: a new SQLite file in a
temporary folder, and, when PostgreSQL answers, a database dropped and created again
(its name comes from the URL; default ``portal_demo_bench`` on 127.0.0.1, skipped if
unreachable). It times the seed itself, then the rerun that ``make run`` does on every
start, and prints seconds and orders per second.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/portal_demo_bench"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, action="append", help="order count to seed (repeatable)")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
                        help="PostgreSQL URL whose database is dropped and recreated; 'none' to skip")
    args = parser.parse_args()
    sizes = args.orders or [10_000, 100_000]

    print(f"machine: {os.cpu_count()} CPUs, {_cpu_model()}, Python {platform.python_version()}")
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} (other processes share these CPUs)")
    print(f"{'database':<12}{'orders':>9}{'seconds':>10}{'orders/s':>10}{'cpu s':>8}{'rerun s':>9}")
    with tempfile.TemporaryDirectory(prefix="demo-seed-bench-") as tmp:
        for size in sizes:
            path = Path(tmp) / f"bench-{size}.db"
            _report("sqlite", size, *_run(f"sqlite:///{path}", size, Path(tmp)))
        if args.postgres.lower() != "none":
            if _recreate_postgres(args.postgres):
                for size in sizes:
                    _recreate_postgres(args.postgres)
                    _report("postgresql", size, *_run(args.postgres, size, Path(tmp)))
    return 0


def _run(database_url: str, size: int, tmp: Path) -> tuple[float, float, float]:
    os.environ.update({
        "DATABASE_URL": database_url,
        "PORTAL_INSTANCE_PATH": str(tmp / "instance"),
        "PORTAL_ENV": "dev",
        "REDIS_URL": "redis://127.0.0.1:1/0",  # never contacted by the seed
    })
    from flask_migrate import upgrade

    from portal import create_app
    from portal.demo.seed import seed_demo
    from portal.extensions import db

    app = create_app()
    with app.app_context():
        upgrade()
        started, cpu_started = time.perf_counter(), time.process_time()
        result = seed_demo(size)
        seeded, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        assert result.demo_orders == size, result.demo_orders
        started = time.perf_counter()
        again = seed_demo(size)
        rerun = time.perf_counter() - started
        assert again.tallies["orders"].created == 0
        db.session.remove()
        db.engine.dispose()
    return seeded, cpu, rerun


def _report(database: str, size: int, seconds: float, cpu: float, rerun: float) -> None:
    """``cpu s`` is this process only: for SQLite all of the work, for PostgreSQL the client side."""
    print(f"{database:<12}{size:>9,}{seconds:>10.1f}{size / seconds:>10,.0f}{cpu:>8.1f}{rerun:>9.2f}", flush=True)


def _recreate_postgres(url: str) -> bool:
    """Drop and create the database named in ``url``; False when PostgreSQL does not answer."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    target = make_url(url).set(drivername="postgresql+psycopg")
    name = target.database
    server = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        print(f"postgresql: skipped ({str(error).splitlines()[0]})")
        return False
    finally:
        server.dispose()
    return True


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    sys.exit(main())
