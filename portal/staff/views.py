"""Staff area: subscribers and system status. Everyone else gets 404."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from portal.extensions import db
from portal.models import Subscriber
from portal.tenancy import require_staff

bp = Blueprint("staff", __name__, url_prefix="/staff")
bp.before_request(require_staff)


@bp.route("/")
def subscribers():
    """List every subscriber of the platform."""
    rows = db.session.execute(select(Subscriber).order_by(Subscriber.name)).scalars().all()
    return render_template("staff/subscribers.html", subscribers=rows)


from portal.staff import status  # noqa: E402,F401  (registers the status routes on bp)
