"""``Order.held_back``, which the orders list counts, follows the integration rules through every
way an order is created or changed: after each, the column, the SQL form of the rules and the
domain's rules agree."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Order, OrderItem
from portal.orders.queries import not_eligible
from tests import factories


def held_back(order: Order) -> bool:
    """The stored flag, after checking that the SQL rules and the domain rules say the same."""
    db.session.expire_all()
    stored = db.session.get(Order, order.id)
    in_sql = db.session.scalar(select(Order.id).where(Order.id == order.id, not_eligible())) is not None
    assert stored.held_back is in_sql is bool(stored.integration_holds), (stored.held_back, in_sql,
                                                                          stored.integration_holds)
    return stored.held_back


@pytest.fixture
def site(subscriber):
    return factories.site(subscriber)


@pytest.mark.parametrize("spec, held", [
    (dict(paid=True), False),
    (dict(paid=False), True),
    (dict(paid=False, payment_method="open_terms"), False),
    (dict(paid=True, items=[{"approval": "pending"}]), True),
    (dict(paid=True, items=[{}, {"approval": "denied"}]), True),
    (dict(paid=True, items=[{"is_edoc": True}]), True),
    (dict(paid=True, items=[{"is_edoc": True, "edoc_file_state": "ready"}]), False),
    (dict(paid=True, items=[]), True),
])
def test_a_new_order_is_held_back_exactly_when_a_rule_holds_it(site, spec, held):
    order = factories.order(site, **spec)
    db.session.commit()
    assert held_back(order) is held


def test_an_item_left_to_its_default_approval_holds_the_order(site):
    order = Order(site=site, number="D-1", payment_status="paid", payment_method="check")
    order.items.append(OrderItem(number=1, product_name="Flyers"))  # approval defaults to pending
    db.session.add(order)
    db.session.commit()
    assert held_back(order) is True


def test_recording_the_payment_releases_the_order(logged_in, site):
    order = factories.order(site, paid=False)
    db.session.commit()
    assert held_back(order) is True

    response = logged_in.post(f"/orders/{order.id}/payment", data={"method": "check"})
    assert response.status_code == 302
    assert held_back(order) is False


def test_approving_and_denying_items_moves_the_order_both_ways(logged_in, site):
    order = factories.order(site, paid=True, items=[{"approval": "pending"}])
    db.session.commit()
    item_url = f"/orders/{order.id}/items/{order.items[0].id}/approval"

    assert logged_in.post(item_url, data={"decision": "approve"}).status_code == 302
    assert held_back(order) is False
    assert logged_in.post(item_url, data={"decision": "deny"}).status_code == 302
    assert held_back(order) is True
    assert logged_in.post(item_url, data={"decision": "approve"}).status_code == 302
    assert held_back(order) is False


def test_approving_every_pending_item_at_once_releases_the_order(logged_in, site):
    order = factories.order(site, paid=True, items=[{"approval": "pending"}, {"approval": "pending"}])
    db.session.commit()

    assert logged_in.post(f"/orders/{order.id}/items/approve-pending").status_code == 302
    assert held_back(order) is False


def test_the_edoc_file_ready_releases_the_order(logged_in, site):
    order = factories.order(site, paid=True, items=[{"is_edoc": True}])
    db.session.commit()
    assert held_back(order) is True

    assert logged_in.post(f"/orders/{order.id}/items/{order.items[0].id}/edoc-ready").status_code == 302
    assert held_back(order) is False


def test_a_failed_action_leaves_the_flag_as_it_was(logged_in, site):
    order = factories.order(site, paid=True, items=[{"approval": "denied"}, {}])
    db.session.commit()

    response = logged_in.post(f"/orders/{order.id}/items/{order.items[1].id}/edoc-ready")
    assert response.status_code == 409
    assert held_back(order) is True


def test_adding_and_removing_items_through_the_orm(site):
    order = factories.order(site, paid=True)
    db.session.commit()
    order.items.append(OrderItem(number=2, product_name="Banner", approval="pending"))
    db.session.commit()
    assert held_back(order) is True

    order = db.session.get(Order, order.id)
    order.items.pop()
    db.session.commit()
    assert held_back(order) is False

    db.session.delete(db.session.get(Order, order.id).items[0])
    db.session.commit()
    assert held_back(order) is True, "an order without items is never eligible"
