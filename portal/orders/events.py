"""Hook point for what should happen after an admin changed an order.

``order_changed`` is where the next issue plugs in the automatic push to PressWise:
when ``became_eligible`` is True the order just cleared its last integration hold.
Until that work lands it only logs, so the hook is visible in the logs and tests.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def order_changed(order, became_eligible: bool) -> None:
    """Called by the orders views after each committed admin action on ``order``.

    For now this only logs at INFO; it does not push anything yet.
    """
    logger.info(
        "Order %s (id %s) changed by an admin; became eligible for partner push: %s",
        order.number,
        order.id,
        became_eligible,
    )
