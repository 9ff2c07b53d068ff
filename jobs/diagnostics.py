"""Jobs that prove the queue works end to end."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timezone

from sqlalchemy import text

from jobs import with_app_context
from portal.extensions import db


@with_app_context
def ping(token: str) -> dict:
    """Answer with the token, the worker's host and pid, and a database round trip."""
    db.session.execute(text("SELECT 1"))
    db.session.remove()
    return {
        "token": token,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "answered_at": datetime.now(timezone.utc).isoformat(),
    }
