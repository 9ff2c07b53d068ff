"""PressWise refuses the order as invalid (status code 2, its text naming the field): the push fails at
once, keeps the error with the field named where the admin sees it, and is not retried. PressWise
stored nothing.

The order is really invalid for PressWise (an item of quantity 0), so the refusal comes from the
emulator's own validation, not from an injected answer.
"""

from __future__ import annotations

import time

import pytest
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from portal.extensions import db
from portal.queue import task_queue
from tests import factories
from tests.conftest import soup
from tests.fixtures.push import integration_of, wait_for_push, wait_until

FIELD = "data.item[2].quantity"


@pytest.fixture(autouse=True)
def _worker(rq_worker, no_push_jobs_left):
    return rq_worker


def test_an_order_presswise_calls_invalid_fails_with_the_field_named_and_is_not_retried(logged_in, pushing_site,
                                                                                        presswise):
    order = factories.order(pushing_site.site, items=[{}, {"quantity": 0}])
    db.session.commit()

    started = time.monotonic()
    logged_in.post(f"/orders/{order.id}/payment", data={"method": "check"})
    row = wait_for_push(order, pushing_site.account)
    elapsed = time.monotonic() - started

    assert row.state == "failed", row.state
    assert FIELD in row.last_error, row.last_error
    assert row.last_error_code == "2"
    assert row.next_attempt_at is None
    assert [(a.outcome, a.partner_code) for a in row.attempts] == [("failed", "2")]
    assert FIELD in row.attempts[0].message
    (sent,) = presswise.calls("add_purchase_order")
    assert (sent["result_code"], FIELD in sent["result_text"]) == (2, True)
    assert presswise.orders() == []

    # No retry: nothing scheduled, and over longer than the retry delay (1 s in tests) nothing is sent.
    queue = task_queue("push")
    assert not [j for j in ScheduledJobRegistry(queue=queue).get_job_ids() if j.startswith(f"push-{row.id}")]
    waited_until = time.monotonic() + 2.5
    wait_until(lambda: time.monotonic() > waited_until or len(presswise.calls("add_purchase_order")) > 1,
               timeout=5, interval=0.1)
    assert len(presswise.calls("add_purchase_order")) == 1, "an invalid order was sent again"
    assert not Job.exists(f"push-{row.id}", connection=queue.connection)
    again = integration_of(order, pushing_site.account)
    assert (again.state, again.attempt_count) == ("failed", 1)
    print(f"orders={len(presswise.orders())} duplicates=0 add_purchase_order_calls="
          f"{len(presswise.calls('add_purchase_order'))} attempts={again.attempt_count} elapsed={elapsed:.2f}s")

    # The admin sees the error with the field named, and the Push Order button.
    page = soup(logged_in.get(f"/orders/{order.id}/embedded-services"))
    panel = page.select_one(f"#account-{pushing_site.account.id}")
    assert panel is not None, "the account's panel is on the order's Embedded Services tab"
    text = panel.get_text(" ", strip=True)
    assert FIELD in text, text
    assert panel.select_one("button.push-order:not([disabled])") is not None, text
