"""The accounts blueprint object: Admin > Embedded Services and the site's Embedded Services tab.

Its own module so ``views`` and ``site_tab`` both register routes on it without importing
each other. Guarded by ``portal.security.access_guards()``: admins of authorized
subscribers only, else 404.
"""

from flask import Blueprint

from portal.accounts.access import embedded_services_enabled

bp = Blueprint("accounts", __name__, url_prefix="/embedded-services")
bp.add_app_template_global(embedded_services_enabled, "embedded_services_enabled")
