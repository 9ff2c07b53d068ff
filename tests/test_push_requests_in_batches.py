"""``request_pushes`` (a sync run's batch) does what ``request_push`` does for one order, row by row."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.domain.push import Trigger
from portal.extensions import db
from portal.integration.push import request_push, request_pushes
from portal.models import OrderIntegration
from portal.models.types import utcnow
from tests import embedded_factories, factories


def test_a_batch_inserts_restarts_and_leaves_alone_like_single_requests(app, subscriber):
    site = factories.site(subscriber)
    account = embedded_factories.pushing_account(site)
    new, failed, retrying, pushed, sending = (factories.order(site, paid=True) for _ in range(5))
    later = utcnow() + timedelta(hours=1)
    for order, state, extra in ((failed, "failed", {}), (retrying, "retrying", {"next_attempt_at": later}),
                                (pushed, "pushed", {"partner_order_id": "10500"}),
                                (sending, "sending", {"lease_token": "t", "lease_expires_at": later})):
        db.session.add(OrderIntegration(order_id=order.id, account_id=account.id, state=state, partner_job_ids={},
                                        **extra))
    db.session.commit()

    asked = request_pushes([o.id for o in (new, failed, retrying, pushed, sending)], account, trigger=Trigger.MANUAL,
                           requested_by="Alice (Order Synchronization)", reconcile_first=True)
    db.session.commit()

    assert {order_id: request.state.value for order_id, request in asked.items()} == {
        new.id: "queued", failed.id: "queued", retrying.id: "queued", pushed.id: "pushed", sending.id: "sending"}
    assert [asked[o.id].queued for o in (new, failed, retrying, pushed, sending)] == [True, True, True, False, False]
    rows = {row.order_id: row for row in db.session.scalars(select(OrderIntegration))}
    assert rows[retrying.id].next_attempt_at is None and rows[retrying.id].reconcile_first
    assert rows[new.id].requested_by == "Alice (Order Synchronization)" and rows[new.id].trigger == "manual"
    assert rows[pushed.id].partner_order_id == "10500" and rows[sending.id].lease_token == "t"
    # The single request agrees on every row.
    for order in (new, failed, retrying, pushed, sending):
        single = request_push(order, account, trigger=Trigger.MANUAL, reconcile_first=True)
        assert (single.integration_id, single.state) == (asked[order.id].integration_id, asked[order.id].state)
    assert request_pushes([], account, trigger=Trigger.MANUAL) == {}
