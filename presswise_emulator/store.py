"""The emulator's SQLite file: orders, jobs, users, shipments and every call received.

One connection guarded by a lock: each statement is short, the latency the emulator
simulates is spent outside the lock, and WAL keeps readers of the file unblocked.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source_order_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    status TEXT NOT NULL,
    create_date TEXT NOT NULL,
    last_modified TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_source ON orders (source_order_id);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id INTEGER NOT NULL REFERENCES orders (id),
    source_job_id TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_order ON jobs (order_id);
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id TEXT NOT NULL,
    login_id TEXT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (customer_id, login_id)
);
CREATE TABLE IF NOT EXISTS shipments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id INTEGER NOT NULL REFERENCES orders (id),
    source_job_id TEXT NOT NULL DEFAULT '',
    ship_date TEXT NOT NULL DEFAULT '',
    ship_method TEXT NOT NULL DEFAULT '',
    carrier TEXT NOT NULL DEFAULT '',
    tracking_number TEXT NOT NULL DEFAULT '',
    ship_cost TEXT NOT NULL DEFAULT '0.00'
);
CREATE TABLE IF NOT EXISTS calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at TEXT NOT NULL,
    operation TEXT NOT NULL,
    fault TEXT NOT NULL DEFAULT '',
    http_status INTEGER,
    result_code INTEGER,
    result_text TEXT NOT NULL DEFAULT '',
    source_order_id TEXT NOT NULL DEFAULT '',
    order_id INTEGER,
    request_body TEXT NOT NULL,
    response_body TEXT NOT NULL DEFAULT ''
);
"""

# IDs start where a real tenant's might, so they never look like our own numbers.
FIRST_IDS = {"orders": 10500, "jobs": 88200, "users": 5000, "shipments": 700, "calls": 0}


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


class Store:
    def __init__(self, path: str | Path):
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
            self._seed_sequences()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _seed_sequences(self) -> None:
        for table, first in FIRST_IDS.items():
            exists = self._db.execute("SELECT 1 FROM sqlite_sequence WHERE name = ?", (table,)).fetchone()
            if not exists:
                self._db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, first))

    def reset(self) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            for table in ("shipments", "jobs", "orders", "users", "calls"):
                self._db.execute(f"DELETE FROM {table}")
            self._db.execute("DELETE FROM sqlite_sequence")
            self._seed_sequences()
            self._db.execute("COMMIT")

    # --- orders -----------------------------------------------------------------------

    def add_order(self, *, source_order_id: str, customer_id: str, user_id: str, status: str, data: dict,
                  jobs: list[dict]) -> tuple[int, list[tuple[int, str]]]:
        stamp = now()
        with self._lock:
            self._db.execute("BEGIN")
            cursor = self._db.execute(
                "INSERT INTO orders (source_order_id, customer_id, user_id, status, create_date, last_modified, data)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (source_order_id, customer_id, user_id, status, stamp, stamp, json.dumps(data)),
            )
            order_id = cursor.lastrowid
            created = []
            for job in jobs:
                cursor = self._db.execute(
                    "INSERT INTO jobs (order_id, source_job_id, status, data) VALUES (?, ?, '', ?)",
                    (order_id, job["sourceJobID"], json.dumps(job)),
                )
                created.append((cursor.lastrowid, job["sourceJobID"]))
            self._db.execute("COMMIT")
        return order_id, created

    def find_orders(self, source_order_id: str, customer_id: str = "") -> list[sqlite3.Row]:
        sql = "SELECT * FROM orders WHERE source_order_id = ?"
        args: list = [source_order_id]
        if customer_id:
            sql += " AND customer_id = ?"
            args.append(customer_id)
        with self._lock:
            return self._db.execute(sql + " ORDER BY id", args).fetchall()

    def order(self, order_id: int) -> dict | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM orders WHERE id = ?", (order_id,)).fetchone()
            if row is None:
                return None
            jobs = self._db.execute("SELECT * FROM jobs WHERE order_id = ? ORDER BY id", (order_id,)).fetchall()
            shipments = self._db.execute(
                "SELECT * FROM shipments WHERE order_id = ? ORDER BY id", (order_id,)
            ).fetchall()
        return {"order": dict(row), "jobs": [dict(j) for j in jobs], "shipments": [dict(s) for s in shipments]}

    def all_orders(self) -> list[dict]:
        with self._lock:
            ids = [r[0] for r in self._db.execute("SELECT id FROM orders ORDER BY id")]
        return [self.order(i) for i in ids]

    def set_order_status(self, order_id: int, status: str) -> bool:
        with self._lock:
            cursor = self._db.execute(
                "UPDATE orders SET status = ?, last_modified = ? WHERE id = ?", (status, now(), order_id)
            )
            return cursor.rowcount == 1

    def set_job_status(self, job_id: int, status: str) -> bool:
        with self._lock:
            self._db.execute("BEGIN")
            row = self._db.execute("SELECT order_id FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is not None:
                self._db.execute("UPDATE jobs SET status = ? WHERE id = ?", (status, job_id))
                self._db.execute("UPDATE orders SET last_modified = ? WHERE id = ?", (now(), row[0]))
            self._db.execute("COMMIT")
            return row is not None

    def add_shipment(self, order_id: int, shipment: dict) -> int | None:
        with self._lock:
            self._db.execute("BEGIN")
            if self._db.execute("SELECT 1 FROM orders WHERE id = ?", (order_id,)).fetchone() is None:
                self._db.execute("ROLLBACK")
                return None
            cursor = self._db.execute(
                "INSERT INTO shipments (order_id, source_job_id, ship_date, ship_method, carrier, tracking_number,"
                " ship_cost) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (order_id, shipment["sourceJobID"], shipment["shipDate"], shipment["shipMethod"],
                 shipment["carrier"], shipment["trackingNumber"], shipment["shipCost"]),
            )
            self._db.execute("UPDATE orders SET last_modified = ? WHERE id = ?", (now(), order_id))
            self._db.execute("COMMIT")
            return cursor.lastrowid

    # --- users ------------------------------------------------------------------------

    def add_user(self, customer_id: str, login_id: str, data: dict) -> tuple[int, bool]:
        """The user's ID and whether it was created now (False: that login already existed)."""
        with self._lock:
            self._db.execute("BEGIN")
            row = self._db.execute(
                "SELECT id FROM users WHERE customer_id = ? AND login_id = ?", (customer_id, login_id)
            ).fetchone()
            if row is not None:
                self._db.execute("COMMIT")
                return row[0], False
            cursor = self._db.execute(
                "INSERT INTO users (customer_id, login_id, data) VALUES (?, ?, ?)",
                (customer_id, login_id, json.dumps(data)),
            )
            self._db.execute("COMMIT")
            return cursor.lastrowid, True

    def all_users(self) -> list[dict]:
        with self._lock:
            return [dict(r) for r in self._db.execute("SELECT * FROM users ORDER BY id")]

    # --- calls ------------------------------------------------------------------------

    def record_call(self, **call) -> int:
        columns = ", ".join(call)
        marks = ", ".join("?" for _ in call)
        with self._lock:
            cursor = self._db.execute(f"INSERT INTO calls (received_at, {columns}) VALUES (?, {marks})",
                                      (now(), *call.values()))
            return cursor.lastrowid

    def calls(self, *, operation: str = "", newest_first: bool = False, limit: int = 0) -> list[dict]:
        sql = "SELECT * FROM calls"
        args: list = []
        if operation:
            sql += " WHERE operation = ?"
            args.append(operation)
        sql += " ORDER BY id DESC" if newest_first else " ORDER BY id"
        if limit:
            sql += " LIMIT ?"
            args.append(limit)
        with self._lock:
            return [dict(r) for r in self._db.execute(sql, args)]
