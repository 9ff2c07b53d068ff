"""PostgreSQL restarts and failovers kill pooled connections; the next request or job must get a
live one, not "server closed the connection unexpectedly" (portal._ping_connections_after_idle)."""

from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.extensions import db


@pytest.fixture
def postgres_app(app):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("PostgreSQL only: a SQLite file has no server connection to lose")
    quick = create_app({"SERVER_NAME": "portal.test", "DATABASE_PING_AFTER_IDLE_SECONDS": 0.2})
    with quick.app_context():
        yield quick
        db.session.remove()
        db.engine.dispose()


def _kill_backend(pid: int) -> None:
    url = make_url(db.engine.url).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_a_connection_killed_while_idle_in_the_pool_is_replaced_before_use(postgres_app):
    first = db.session.scalar(text("SELECT pg_backend_pid()"))
    db.session.commit()  # back to the pool
    _kill_backend(first)
    time.sleep(0.3)  # idle past the threshold: checked before use

    second = db.session.scalar(text("SELECT pg_backend_pid()"))
    assert second != first, "a fresh connection took the dead one's place"
    db.session.commit()


def test_a_connection_used_a_moment_ago_is_not_pinged_again(postgres_app):
    """The point of pinging only after idle time: a worker's three short transactions a push reuse one
    connection without a round trip each (pool_pre_ping's cost)."""
    pings = []
    dialect = db.engine.dialect
    original = dialect.do_ping
    dialect.do_ping = lambda connection: pings.append(1) or original(connection)
    try:
        db.session.scalar(text("SELECT 1"))
        db.session.commit()
        time.sleep(0.3)
        db.session.scalar(text("SELECT 1"))  # idle: pinged
        db.session.commit()
        pinged_after_idle = len(pings)
        for _ in range(5):
            db.session.scalar(text("SELECT 1"))
            db.session.commit()
    finally:
        dialect.do_ping = original
    assert pinged_after_idle >= 1
    assert len(pings) == pinged_after_idle, "no ping for a connection handed back just now"
