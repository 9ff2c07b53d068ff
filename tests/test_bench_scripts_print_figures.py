"""Every script in ``bench/`` runs at a tiny size and prints figures, so none can rot unnoticed.

The README's figures come from these scripts at full size; here each one runs as a developer
runs it (the venv's python, a subprocess, from the project folder) with its size and duration
options turned down, and its table must hold numbers, not just exit 0. On the PostgreSQL pass
the scripts' PostgreSQL half runs too, in a throwaway database of its own on the same server.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import PROJECT_ROOT

BENCH = PROJECT_ROOT / "bench"
NUMBER = r"\d[\d,]*(?:\.\d+)?"


SMOKE_TESTED = ("admin_pages.py", "demo_seed.py", "presswise_roundtrip.py", "push_throughput.py", "sync_memory.py",
                "sync_throughput.py")


def test_every_bench_script_has_a_smoke_test():
    """A new script under bench/ must be taught to this module."""
    assert sorted(path.name for path in BENCH.glob("*.py")) == sorted(SMOKE_TESTED)


def _run(script: str, *args: str, timeout: float = 120) -> str:
    # A clean environment: the suite's own DATABASE_URL, REDIS_URL and keys must not steer the
    # script, and a developer's .env must not either (each script sets what it needs).
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PORTAL_", "TEST_", "DATABASE_URL", "REDIS_URL", "RQ_QUEUE", "SECRET_KEY",
                                  "BENCH_"))}
    env.update(PORTAL_DOTENV="", PYTHONUNBUFFERED="1")
    completed = subprocess.run([sys.executable, str(BENCH / script), *args], cwd=PROJECT_ROOT, env=env,
                               capture_output=True, text=True, timeout=timeout)
    assert completed.returncode == 0, f"{script} failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
    return completed.stdout


@pytest.fixture
def bench_postgres():
    """On the PostgreSQL pass: a database name on the test server that the script may drop and
    recreate, dropped afterwards; on the SQLite pass: ``none`` (the scripts skip PostgreSQL)."""
    test_url = os.environ.get("TEST_DATABASE_URL")
    if not test_url:
        yield None
        return
    url = make_url(test_url).set(database=f"portal_bench_smoke_{uuid.uuid4().hex[:12]}")
    yield url.render_as_string(hide_password=False)
    from sqlalchemy import create_engine, text

    server = create_engine(url.set(drivername="postgresql+psycopg", database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    finally:
        server.dispose()


def test_presswise_roundtrip_prints_calls_per_second_without_errors():
    output = _run("presswise_roundtrip.py", "--duration", "0.2", "--latency", "0", "--concurrency", "1,2")

    rows = re.findall(rf"^\s*0ms\s+(\d+)\s+({NUMBER})\s+({NUMBER})\s+({NUMBER})\s+{NUMBER}\s+{NUMBER}\s+(\d+)$",
                      output, re.MULTILINE)
    assert [row[0] for row in rows] == ["1", "2"], output
    for _, client, bare, session, errors in rows:
        assert float(client) > 0 and float(bare) > 0 and float(session) > 0, output
        assert errors == "0", output


def test_demo_seed_prints_orders_per_second(bench_postgres):
    output = _run("demo_seed.py", "--orders", "40", "--postgres", bench_postgres or "none")

    rows = re.findall(rf"^(sqlite|postgresql)\s+40\s+({NUMBER})\s+({NUMBER})\s+{NUMBER}\s+({NUMBER})$",
                      output, re.MULTILINE)
    assert [row[0] for row in rows] == (["sqlite", "postgresql"] if bench_postgres else ["sqlite"]), output
    for _, seconds, per_second, rerun in rows:
        assert float(seconds) > 0 and float(per_second.replace(",", "")) > 0 and float(rerun) >= 0, output


def test_admin_pages_prints_percentiles_and_queries_per_page(bench_postgres):
    output = _run("admin_pages.py", "--orders", "40", "--runs", "2", "--postgres", bench_postgres or "none")

    databases = re.findall(r"^(sqlite|postgresql): seeded in", output, re.MULTILINE)
    assert databases == (["sqlite", "postgresql"] if bench_postgres else ["sqlite"]), output
    rows = re.findall(rf"^(orders, exact number|orders, failed pushes|order page|order Embedded Services tab|sites"
                      rf"|site Embedded Services tab|run page \(\d+ orders\)|progress fragment \(HTMX\))"
                      rf"\s+({NUMBER})\s+({NUMBER})\s+({NUMBER})\s+(\d+)$", output, re.MULTILINE)
    assert len(rows) == 8 * len(databases), output
    for _, median, p95, slowest, queries in rows:
        assert 0 < float(median) <= float(p95) <= float(slowest), output
        assert int(queries) > 0, output


def test_push_throughput_prints_orders_per_second_and_no_duplicates(bench_postgres):
    args = ["--orders", "20", "--latency", "5", "--workers", "1", "--no-fork"]
    output = _run("push_throughput.py", *args, *(["--database-url", bench_postgres] if bench_postgres else []))

    rows = re.findall(rf"^\| (\w+) \| 1 \| ({NUMBER}) \| ({NUMBER}) \| ({NUMBER}) \| ({NUMBER}) \| (\d+) \| (\d+) \| (\d+) \|$",
                      output, re.MULTILINE)
    assert len(rows) == 1, output
    dialect, seconds, rate, ideal, ratio, duplicates, failed, locked = rows[0]
    assert dialect == ("postgresql" if bench_postgres else "sqlite"), output
    assert float(rate) > 0 and float(ideal) == 200 and float(ratio) > 0, output
    assert (duplicates, failed, locked) == ("0", "0", "0"), output


def test_sync_throughput_prints_both_runs_against_the_ideal_without_duplicates(bench_postgres):
    output = _run("sync_throughput.py", "--orders", "12", "--latency", "5", "--cap", "2",
                  "--postgres", bench_postgres or "none")

    rows = re.findall(rf"^\| (sqlite|postgresql) \| (orders|status) \| 12 \| ({NUMBER}) \| ({NUMBER}) \| ({NUMBER}) "
                      rf"\| ({NUMBER}) \| {NUMBER} \| {NUMBER} \| (\d+) \| (\d+) \| {NUMBER} \|$", output, re.MULTILINE)
    databases = ["sqlite", "postgresql"] if bench_postgres else ["sqlite"]
    assert [(row[0], row[1]) for row in rows] == [(d, k) for d in databases for k in ("orders", "status")], output
    for _, kind, seconds, ideal, ratio, calls, duplicates, failed in rows:
        assert float(seconds) > 0 and float(ideal) == 0.03 and float(ratio) > 0, output
        assert int(calls.replace(",", "")) == (24 if kind == "orders" else 12), output
        assert (duplicates, failed) == ("0", "0"), output


def test_sync_memory_prints_the_growth_of_a_status_run(bench_postgres):
    output = _run("sync_memory.py", "--orders", "15", "--postgres", bench_postgres or "none")

    rows = re.findall(rf"^\| (sqlite|postgresql) \| 15 \| {NUMBER} \| ({NUMBER}) \| (\d+) \| (\d+) \| ({NUMBER}) "
                      rf"\| ({NUMBER}) \| (-?{NUMBER}) \|$", output, re.MULTILINE)
    assert [row[0] for row in rows] == (["sqlite", "postgresql"] if bench_postgres else ["sqlite"]), output
    for _, seconds, updated, failed, idle, peak, _growth in rows:
        assert (updated, failed) == ("15", "0") and 0 < float(idle) <= float(peak), output
