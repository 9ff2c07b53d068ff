"""A push's claim is a lease: once it runs out, the sweep may hand the row to another worker, which
reconciles and sends. So no call starts that could still be under way then (it could meet the other
worker's call, and the order would be in PressWise twice). A call that cannot end in time is not
made: "nothing was sent", retried later like any passing failure.

The case that needs it: a sync run's pushes wait for a call slot as long as it takes, far longer
than a lease, when the account's cap is full.
"""

from __future__ import annotations

import time

import pytest

from portal.integration.slots import CallSlots, CappedPartner
from portal.partners.base import PartnerTransientError
from portal.queue import redis_connection


class RecordingPartner:
    def __init__(self):
        self.calls = []

    def find_orders(self, order_number, *, customer_id=None):
        self.calls.append(order_number)
        return []


def _slots(account_id: int, cap: int = 1) -> CallSlots:
    slots = CallSlots(redis_connection(), account_id, cap, hold_seconds=10, max_wait=300)
    redis_connection().delete(slots.holders_key, slots.waiters_key)
    return slots


def test_a_call_that_could_outlast_the_claim_is_not_made(app):
    partner = RecordingPartner()
    capped = CappedPartner(partner, _slots(9101), bulk=True, calls_end_by=time.monotonic() + 1.0, call_deadline=2.0)

    with pytest.raises(PartnerTransientError, match="nothing was sent"):
        capped.find_orders("10001")
    assert partner.calls == []


def test_a_bulk_call_waits_for_a_slot_only_as_long_as_the_claim_allows(app):
    slots = _slots(9102)
    held = slots._acquire(bulk=False)  # the account's only slot, taken by another process's call
    partner = RecordingPartner()
    capped = CappedPartner(partner, slots, bulk=True, calls_end_by=time.monotonic() + 2.3, call_deadline=2.0)

    started = time.monotonic()
    with pytest.raises(PartnerTransientError):
        capped.find_orders("10001")
    waited = time.monotonic() - started
    slots._release(held)

    assert partner.calls == []
    assert waited < 1.5, f"waited {waited:.2f}s for a slot, though its sync run would wait up to 300 s"


def test_a_call_that_fits_in_the_claim_is_made(app):
    partner = RecordingPartner()
    capped = CappedPartner(partner, _slots(9103), bulk=True, calls_end_by=time.monotonic() + 5.0, call_deadline=2.0)

    assert capped.find_orders("10001") == []
    assert partner.calls == ["10001"]
