"""An internal error (code 9) is retried by the worker's scheduler after the configured delay, without
the sweep, and the order reaches PressWise once (HTTP 500s: test_push_two_http_500s_then_success…)."""

from __future__ import annotations

from portal.extensions import db
from tests import factories
from tests.fixtures.push import partner_orders_for, wait_for_push


def test_an_internal_error_is_retried(logged_in, pushing_site, presswise, rq_worker):
    presswise.inject_fault("code9", count=1, operation="add_purchase_order")
    order = factories.order(pushing_site.site)
    db.session.commit()
    logged_in.post(f"/orders/{order.id}/payment", data={"method": "check"})
    row = wait_for_push(order, pushing_site.account, states=("pushed", "failed"), timeout=40)
    assert (row.state, row.attempt_count) == ("pushed", 2)
    assert len(partner_orders_for(presswise, order)) == 1
