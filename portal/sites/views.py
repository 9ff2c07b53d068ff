"""Sites pages of the storefront admin."""

from __future__ import annotations

from flask import Blueprint, render_template

from portal.tenancy import require_subscriber_admin

bp = Blueprint("sites", __name__, url_prefix="/sites")
bp.before_request(require_subscriber_admin)


@bp.route("/")
def index():
    """List the sites of the signed-in subscriber."""
    return render_template("sites/index.html")
