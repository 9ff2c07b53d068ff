"""How much memory a worker needs for Order Status Synchronization as the site grows.

    .venv/bin/python bench/sync_memory.py                         # 1,000 and 100,000 pushed orders
    .venv/bin/python bench/sync_memory.py --orders 1000 --orders 20000 --postgres none

For each database (SQLite in a temporary folder; PostgreSQL when it answers, recreated) and
each size it builds a site whose orders are all pushed already (the emulator gets the matching
PressWise orders, each with a job and a shipment, written straight into its file), starts a
fresh ``flask worker --queue sync --no-fork`` (the run executes in the worker process), reads
its resident memory once it is idle, runs a status sync (every order: ``get_order_status``,
status mapped, one shipment added per order) and reads its peak resident memory (VmHWM).
Growth is peak minus idle: it should not depend on the number of orders (orders are read a
chunk at a time and progress is written in batches). The emulator answers without latency.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(PROJECT_ROOT / "bench"))

from demo_seed import _cpu_model, _recreate_postgres  # noqa: E402
from presswise_roundtrip import Emulator  # noqa: E402
from sync_throughput import build_schema, environment, run_and_wait, seed, start_worker, stop  # noqa: E402

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/portal_sync_memory_bench"


def memory_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not found")


def fill_emulator(emulator: Emulator, orders: int) -> None:
    """PressWise orders 10500 + n (job 88200 + n, one shipment each), as the portal's push rows name them."""
    emulator.control("reset")
    path = Path(emulator.folder.name) / "bench.db"
    connection = sqlite3.connect(path, timeout=60, isolation_level=None)
    try:
        connection.execute("BEGIN")
        stamp = "2026-12-01 10:00:00"
        connection.executemany(
            "INSERT INTO orders (id, source_order_id, customer_id, user_id, status, create_date, last_modified, data)"
            " VALUES (?, ?, '1001', '', 'Production', ?, ?, '{}')",
            ((10500 + n, f"B-{n:06d}", stamp, stamp) for n in range(orders)))
        connection.executemany(
            "INSERT INTO jobs (id, order_id, source_job_id, status, data) VALUES (?, ?, '1', '', ?)",
            ((88200 + n, 10500 + n, json.dumps({"sourceJobID": "1"})) for n in range(orders)))
        connection.executemany(
            "INSERT INTO shipments (order_id, source_job_id, ship_date, ship_method, carrier, tracking_number,"
            " ship_cost) VALUES (?, '', '2026-12-02', 'UPS Ground', 'UPS', ?, '12.40')",
            ((10500 + n, f"1Z{n:016d}") for n in range(orders)))
        connection.execute("COMMIT")
    finally:
        connection.close()


def measure(label: str, database_url: str, size: int, folder: Path, redis_url: str, emulator: Emulator) -> None:
    from portal.extensions import db

    env = environment(folder / f"{label}-{size}", database_url, redis_url)
    app, context = build_schema()
    try:
        started = time.monotonic()
        link_id = seed(size, emulator.url, 8, pushed=True)
        fill_emulator(emulator, size)
        seeded = time.monotonic() - started
        worker = start_worker(env, folder / f"worker-{label}-{size}.log", fork=False)
        try:
            time.sleep(1.0)
            idle = memory_kib(worker.pid, "VmRSS")
            run = run_and_wait(link_id, "status")
            peak = memory_kib(worker.pid, "VmHWM")
        finally:
            stop(worker)
        seconds = (run.finished_at - run.started_at).total_seconds()
        print(f"| {label} | {size:,} | {seeded:.0f} | {seconds:.1f} | {run.updated:,} | {run.failed:,} "
              f"| {idle / 1024:.1f} | {peak / 1024:.1f} | {(peak - idle) / 1024:.1f} |", flush=True)
    finally:
        db.session.remove()
        db.engine.dispose()
        context.pop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, action="append", help="sizes (repeatable); default 1,000 and 100,000")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
                        help="PostgreSQL URL whose database is dropped and recreated; 'none' to skip")
    args = parser.parse_args()
    sizes = args.orders or [1_000, 100_000]

    from portal import embedded_redis

    folder = Path(tempfile.mkdtemp(prefix="sync-memory-"))
    redis_process, redis_url = embedded_redis.start(folder / "redis")
    emulator = Emulator(None, None)
    print(f"# {os.cpu_count()} CPUs, {_cpu_model()}, Python {platform.python_version()}; load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("| database | pushed orders | seeded in s | run s | updated | failed | idle RSS MB | peak RSS MB | growth MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    try:
        for size in sizes:
            measure("sqlite", f"sqlite:///{folder / f'bench-{size}.db'}", size, folder, redis_url, emulator)
        if args.postgres.lower() != "none":
            for size in sizes:
                if _recreate_postgres(args.postgres):
                    measure("postgresql", args.postgres, size, folder, redis_url, emulator)
    finally:
        emulator.stop()
        embedded_redis.stop(redis_process)
    return 0


if __name__ == "__main__":
    sys.exit(main())
