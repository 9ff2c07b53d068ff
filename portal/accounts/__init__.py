"""Admin > Embedded Services: partner accounts, Test connection, and the site's Embedded Services tab."""

from portal.accounts import site_tab, sync_views, views  # noqa: F401  (their routes register on bp)
from portal.accounts.blueprint import bp

__all__ = ["bp"]
