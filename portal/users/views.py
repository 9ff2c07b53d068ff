"""Users pages of the storefront admin."""

from __future__ import annotations

from flask import Blueprint, render_template

from portal.tenancy import require_subscriber_admin

bp = Blueprint("users", __name__, url_prefix="/users")
bp.before_request(require_subscriber_admin)


@bp.route("/")
def index():
    """List the users of the signed-in subscriber."""
    return render_template("users/index.html")
