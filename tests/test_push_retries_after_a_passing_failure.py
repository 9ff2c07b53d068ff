"""A passing failure (HTTP 500, code 9) is retried by the worker's scheduler after the configured
delay, without the sweep, and the order reaches PressWise once; the attempts say what happened."""

from __future__ import annotations

import pytest

from portal.extensions import db
from tests import factories
from tests.fixtures.push import partner_orders_for, wait_for_push


def test_two_http_500s_then_success_is_pushed_on_the_third_attempt(logged_in, pushing_site, presswise, rq_worker):
    presswise.inject_fault("http500", count=2, operation="add_purchase_order")
    order = factories.order(pushing_site.site)
    db.session.commit()
    logged_in.post(f"/orders/{order.id}/payment", data={"method": "check"})

    row = wait_for_push(order, pushing_site.account, states=("pushed", "failed"), timeout=40)
    assert row.state == "pushed", row.last_error
    assert row.attempt_count == 3
    assert [a.outcome for a in reversed(row.attempts)] == ["retrying", "retrying", "pushed"]
    assert "Internal Server Error" in row.attempts[-1].message
    assert len(partner_orders_for(presswise, order)) == 1


@pytest.mark.parametrize("fault", ["code9"])
def test_an_internal_error_is_retried_too(logged_in, pushing_site, presswise, rq_worker, fault):
    presswise.inject_fault(fault, count=1, operation="add_purchase_order")
    order = factories.order(pushing_site.site)
    db.session.commit()
    logged_in.post(f"/orders/{order.id}/payment", data={"method": "check"})
    row = wait_for_push(order, pushing_site.account, states=("pushed", "failed"), timeout=40)
    assert (row.state, row.attempt_count) == ("pushed", 2)
    assert len(partner_orders_for(presswise, order)) == 1
