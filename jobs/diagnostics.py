"""Jobs that prove the queue works end to end."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timezone

from rq import get_current_job
from sqlalchemy import text

from jobs import with_app_context
from portal.extensions import db


@with_app_context
def ping(token: str) -> dict:
    """Answer with the token, the worker that ran it, and a database round trip."""
    db.session.execute(text("SELECT 1"))
    job = get_current_job()
    return {
        "token": token,
        "worker": job.worker_name if job is not None else None,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "answered_at": datetime.now(timezone.utc).isoformat(),
    }
