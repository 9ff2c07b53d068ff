"""Write transactions that must not interleave, on PostgreSQL and on SQLite alike.

A read-check-write such as "record a payment unless the order is paid" is only safe when no
other process can change the row between the read and the commit. PostgreSQL gives that with
a row lock (``SELECT ... FOR UPDATE``, which callers add to their query). SQLite ignores
``FOR UPDATE`` and, with pysqlite's default, only starts a transaction at the first
INSERT/UPDATE, so two processes could both read "unpaid" and both commit "paid".

``begin_serialized_write()`` makes the current session's next transaction take the write lock
before it reads anything: on SQLite it starts with ``BEGIN IMMEDIATE`` (SQLite has one writer
at a time, so this serializes writers of the whole file, not one row: keep such transactions
to a few milliseconds); another process waits for the lock up to the busy timeout
(``SQLALCHEMY_ENGINE_OPTIONS``, 30 s) instead of failing with "database is locked". On
PostgreSQL it does nothing and the caller's ``FOR UPDATE`` does the work.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from portal.extensions import db

log = logging.getLogger(__name__)

# Connection execution option read by the "begin" listener below.
SQLITE_BEGIN_IMMEDIATE = "portal_sqlite_begin_immediate"


def install_sqlite_begin_immediate(engine: Engine) -> None:
    """Let a connection opt into ``BEGIN IMMEDIATE``: SQLAlchemy's pysqlite "begin" event recipe,
    applied only to connections that ask, so every other transaction (the demo seed's bulk
    load, the workers' jobs) keeps pysqlite's default behaviour."""

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        if connection.get_execution_options().get(SQLITE_BEGIN_IMMEDIATE):
            # pysqlite sees a transaction already open and adds no BEGIN of its own; its
            # commit() and rollback() end this one.
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def begin_serialized_write() -> None:
    """Start the session's next transaction holding the write lock on SQLite (see above).

    Ends the session's current transaction first (committing what it holds: before an action
    that is only what the access guards read), so call it before loading what will be changed.
    """
    if db.engine.dialect.name != "sqlite":
        return
    db.session.commit()
    db.session.connection(execution_options={SQLITE_BEGIN_IMMEDIATE: True})


# --- short write transactions of jobs and runs -----------------------------------------------

def commit() -> None:
    """Commit the session, retrying as ``retrying_locked`` does."""
    retrying_locked(db.session.commit)


def retrying_locked(write, attempts: int = 5):
    """Run a short write; on SQLite's "database is locked" (another process held the lock past the
    busy timeout) roll back and try again, so it never reaches a person or a job's outcome."""
    for attempt in range(1, attempts + 1):
        try:
            return write()
        except OperationalError as error:
            if "locked" not in str(error).lower() or attempt == attempts:
                raise
            db.session.rollback()
            log.warning("database locked, retrying the write (%s/%s)", attempt, attempts)
            time.sleep(0.05 * 2 ** attempt)
    return None
