"""RQ job functions. Each job runs in the app's context, with its own database connections.

Jobs receive database IDs only: a job's arguments are stored in Redis in clear, so
secrets are read from the database inside the job, never passed in.

``flask worker`` runs jobs in a work horse forked from a process that already holds the
app (and its app context); a plain ``rq worker`` has neither, so the app is built here once
per process.
"""

from __future__ import annotations

import functools
import os

_app = None
_pool_pid: int | None = None


def app():
    """The Flask app for this process, created on first use from the environment."""
    global _app
    if _app is None:
        from portal import create_app

        _app = create_app()
    return _app


def _fresh_connection_pool() -> None:
    """A forked work horse must not reuse the parent's database connections."""
    global _pool_pid
    if _pool_pid != os.getpid():
        from portal.extensions import db

        db.engine.dispose(close=False)
        _pool_pid = os.getpid()


def with_app_context(function):
    """Run the job inside an app context and release its database session afterwards."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        from flask import has_app_context

        from portal.extensions import db

        if not has_app_context():
            with app().app_context():
                return wrapper(*args, **kwargs)
        _fresh_connection_pool()
        try:
            return function(*args, **kwargs)
        finally:
            db.session.remove()

    return wrapper
