"""What happens after an admin changed an order: an order that just became eligible is pushed.

The orders views call ``order_changed`` after each committed action; the push itself is the
integration package's (it queues a row per account of the site whose Synchronize Orders is
on, commits, then enqueues).
"""

from __future__ import annotations

import logging

from portal.integration.push import push_when_eligible

logger = logging.getLogger(__name__)


def order_changed(order, became_eligible: bool) -> None:
    """Called by the orders views after each committed admin action on ``order``."""
    if became_eligible:
        requests = push_when_eligible(order)
        logger.info("order %s became eligible: queued for %s account(s)", order.number,
                    sum(1 for request in requests if request.queued))
