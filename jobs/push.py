"""The order push and the sweep that keeps pushes moving. Arguments are row IDs only."""

from __future__ import annotations

from jobs import with_app_context
from portal.integration.push import push_and_send_waiting
from portal.integration.sweep import sweep as sweep_pushes


@with_app_context
def push_order(integration_id: int) -> str:
    """One attempt at getting an order into PressWise, then at the account's other waiting orders
    while time allows (see ``portal.integration.push``)."""
    return push_and_send_waiting(integration_id)


@with_app_context
def sweep() -> dict:
    """Hand queued, due and abandoned pushes back to the workers."""
    report = sweep_pushes()
    return {"due": report.due, "enqueued": report.enqueued}
