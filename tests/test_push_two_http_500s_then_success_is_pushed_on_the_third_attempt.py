"""PressWise answers HTTP 500 (a SOAP Fault: nothing stored) twice, then takes the order: the push is
retried with back-off and the order is pushed on the third attempt, once.

No sweep runs: the worker's own scheduled retries do it.
"""

from __future__ import annotations

import time

import pytest

from portal.extensions import db
from tests import factories
from tests.fixtures.push import duplicates_in_partner, partner_orders_for, wait_for_push


@pytest.fixture(autouse=True)
def _worker(rq_worker, no_push_jobs_left):
    return rq_worker


def test_two_http_500s_then_success_is_pushed_on_the_third_attempt(logged_in, pushing_site, presswise):
    order = factories.order(pushing_site.site, items=2)
    db.session.commit()
    presswise.inject_fault("http500", count=2, operation="add_purchase_order")

    started = time.monotonic()
    logged_in.post(f"/orders/{order.id}/payment", data={"method": "check"})
    row = wait_for_push(order, pushing_site.account, timeout=40)
    elapsed = time.monotonic() - started
    stored = partner_orders_for(presswise, order)
    sends = presswise.calls("add_purchase_order")
    attempts = list(reversed(row.attempts))
    print(f"orders={len(stored)} duplicates={duplicates_in_partner(presswise)} add_purchase_order_calls={len(sends)} "
          f"http_statuses={[c['http_status'] for c in sends]} attempts={[a.outcome for a in attempts]} "
          f"find_orders_calls={len(presswise.calls('find_orders'))} elapsed={elapsed:.2f}s")

    assert row.state == "pushed", row.last_error
    assert [a.outcome for a in attempts] == ["retrying", "retrying", "pushed"]
    assert row.attempt_count == 3
    assert [c["http_status"] for c in sends] == [500, 500, 200]
    assert len(stored) == 1, f"PressWise has order {order.number} {len(stored)} times"
    assert row.partner_order_id == str(stored[0]["id"])
    assert set(row.partner_job_ids) == {"1", "2"}
    assert row.last_error is None, "the error of a failure that was overcome is not shown any more"
    for failed in attempts[:2]:  # what PressWise said, and when the next try is
        assert "Internal Server Error" in failed.message and "Next attempt at" in failed.message, failed.message
    # Back-off: each attempt waited for its delay (PUSH_RETRY_DELAYS=1,1,1 in tests).
    for before, after in zip(attempts, attempts[1:]):
        assert (after.started_at - before.finished_at).total_seconds() >= 0.9
