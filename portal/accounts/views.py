"""Admin > Embedded Services: partner accounts of the signed-in subscriber."""

from __future__ import annotations

from flask import Blueprint

from portal.tenancy import require_subscriber_admin

bp = Blueprint("accounts", __name__, url_prefix="/embedded-services")
bp.before_request(require_subscriber_admin)
