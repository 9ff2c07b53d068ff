"""PressWise stores the order and then never answers ("store then hang"): the attempt ends with its
outcome unknown at the call deadline, the next attempt asks PressWise (``find_orders``) before
sending, finds the order and adopts it. PressWise has the order once; the row carries its number.

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


def test_an_order_stored_without_an_answer_is_found_and_adopted_not_sent_again(logged_in, pushing_site, presswise):
    order = factories.order(pushing_site.site, items=2)
    db.session.commit()
    presswise.inject_fault("store_then_hang", operation="add_purchase_order", seconds=30)

    started = time.monotonic()
    logged_in.post(f"/orders/{order.id}/payment", data={"method": "check"})
    row = wait_for_push(order, pushing_site.account, timeout=40)
    elapsed = time.monotonic() - started
    stored = partner_orders_for(presswise, order)
    sends = presswise.calls("add_purchase_order")
    lookups = presswise.calls("find_orders")
    history = [attempt.outcome for attempt in reversed(row.attempts)]
    print(f"orders={len(stored)} duplicates={duplicates_in_partner(presswise)} add_purchase_order_calls={len(sends)} "
          f"find_orders_calls={len(lookups)} attempts={history} elapsed={elapsed:.2f}s")

    assert row.state == "adopted", f"{row.state}: {row.last_error}"
    assert len(stored) == 1, f"PressWise has order {order.number} {len(stored)} times"
    assert len(sends) == 1, "sent once; the second attempt only asked"
    assert [call["source_order_id"] for call in lookups] == [order.number]
    assert row.partner_order_id == str(stored[0]["id"])
    assert history == ["unknown", "adopted"]
    unknown, adopted = reversed(row.attempts)
    # Not before the back-off (PUSH_RETRY_DELAYS=1,1,1 in tests).
    assert (adopted.started_at - unknown.finished_at).total_seconds() >= 0.9
    assert str(stored[0]["id"]) in adopted.message
    assert row.attempt_count == 2
    assert row.pushed_at is not None and row.last_error is None
    # The first attempt waited for an answer no longer than the call deadline (connect + read timeouts).
    assert (unknown.finished_at - unknown.started_at).total_seconds() < 4 + 2
