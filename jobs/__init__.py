"""RQ job functions. Each job builds (once per worker process) the app and runs in its context.

Jobs receive database IDs only: a job's arguments are stored in Redis in clear, so
secrets are read from the database inside the job, never passed in.
"""

from __future__ import annotations

import functools

_app = None


def app():
    """The Flask app for this worker process, created on first use from the environment."""
    global _app
    if _app is None:
        from portal import create_app

        _app = create_app()
    return _app


def with_app_context(function):
    """Run the job inside an app context, and always release the DB session afterwards."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        from flask import has_app_context

        if has_app_context():
            return function(*args, **kwargs)
        with app().app_context():
            return function(*args, **kwargs)

    return wrapper
