"""The staff blueprint object, in its own module so ``views`` and ``status`` both register routes on it.

Who may use this area: ``portal.security.access_guards()``, checked before the CSRF token.
"""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")
