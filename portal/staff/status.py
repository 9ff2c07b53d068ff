"""Staff > System status: database, Redis, live workers and a queue round trip."""

from __future__ import annotations

from flask import render_template

from portal.staff.views import bp


@bp.route("/status")
def status():
    """Database, Redis and workers at a glance."""
    return render_template("staff/status.html")
