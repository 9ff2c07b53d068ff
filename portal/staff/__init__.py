"""Staff area: subscribers, their Embedded Services authorization, and system status."""

from portal.staff import status, views  # noqa: F401  (their routes register on bp)
from portal.staff.blueprint import bp

__all__ = ["bp"]
