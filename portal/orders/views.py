"""Orders pages of the storefront admin."""

from __future__ import annotations

from flask import Blueprint, render_template

from portal.tenancy import require_subscriber_admin

bp = Blueprint("orders", __name__, url_prefix="/orders")
bp.before_request(require_subscriber_admin)


@bp.route("/")
def index():
    """List the orders of the signed-in subscriber."""
    return render_template("orders/index.html")
