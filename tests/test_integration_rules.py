"""The seed's integration rules, as plain functions over any order-like object."""

from types import SimpleNamespace

import pytest

from portal.domain.orders import (
    RULE_APPROVAL,
    RULE_EDOC,
    RULE_NO_ITEMS,
    RULE_PAYMENT,
    integration_holds,
    is_eligible,
    money,
)


def item(number=1, approval="approved", is_edoc=False, edoc_file_state=None):
    return SimpleNamespace(number=number, approval=approval, is_edoc=is_edoc, edoc_file_state=edoc_file_state)


def order(payment_status="paid", payment_method="credit_card", items=None):
    return SimpleNamespace(payment_status=payment_status, payment_method=payment_method,
                           items=items if items is not None else [item()])


def rules(o):
    return [h.rule for h in integration_holds(o)]


def test_paid_and_approved_order_is_eligible():
    assert is_eligible(order())
    assert integration_holds(order()) == []


def test_unpaid_order_is_held_for_payment():
    assert rules(order(payment_status="unpaid")) == [RULE_PAYMENT]


def test_open_terms_counts_as_paid():
    assert is_eligible(order(payment_status="unpaid", payment_method="open_terms"))


def test_pending_item_holds_the_order_and_names_it():
    holds = integration_holds(order(items=[item(1), item(2, approval="pending"), item(3, approval="pending")]))
    assert [h.rule for h in holds] == [RULE_APPROVAL]
    assert holds[0].message == "Item #2, #3 are awaiting approval."
    assert not holds[0].permanent


def test_denied_item_is_a_permanent_hold():
    holds = integration_holds(order(items=[item(1, approval="denied")]))
    assert holds[0].permanent
    assert "denied" in holds[0].message


def test_pending_edoc_file_holds_the_order():
    assert rules(order(items=[item(1, is_edoc=True, edoc_file_state="pending")])) == [RULE_EDOC]
    assert rules(order(items=[item(1, is_edoc=True, edoc_file_state=None)])) == [RULE_EDOC]
    assert is_eligible(order(items=[item(1, is_edoc=True, edoc_file_state="ready")]))


def test_every_failing_rule_is_listed():
    o = order(payment_status="unpaid", items=[item(1, approval="pending", is_edoc=True, edoc_file_state="pending")])
    assert rules(o) == [RULE_PAYMENT, RULE_APPROVAL, RULE_EDOC]


def test_an_order_without_items_is_never_eligible():
    assert rules(order(items=[])) == [RULE_NO_ITEMS]


def test_rules_hold_for_orm_rows(app):
    from tests import factories

    o = factories.order(paid=True, items=[{"approval": "pending"}])
    assert rules(o) == [RULE_APPROVAL]
    o.items[0].approval = "approved"
    assert is_eligible(o)


@pytest.mark.parametrize("raw,expected", [("1234.5", "1234.50"), ("0.005", "0.01"), (2, "2.00"), (0.1, "0.10")])
def test_money_rounds_half_up_to_cents(raw, expected):
    assert str(money(raw)) == expected


EDOC_STATES = [(is_edoc, state) for is_edoc in (False, True) for state in (None, "pending", "ready")]


@pytest.mark.parametrize("is_edoc, state", EDOC_STATES)
def test_edoc_file_pending_is_one_rule(is_edoc, state):
    from portal.domain.orders import edoc_file_pending

    expected = is_edoc and state != "ready"
    assert edoc_file_pending(item(is_edoc=is_edoc, edoc_file_state=state)) is expected
    assert (RULE_EDOC in rules(order(items=[item(is_edoc=is_edoc, edoc_file_state=state)]))) is expected


def test_the_model_and_the_orders_filter_agree_with_the_rule(app, subscriber):
    """OrderItem.edoc_pending answers in Python through the domain rule and in SQL for the list
    filter: both must pick the same items."""
    from sqlalchemy import select

    from portal.domain.orders import edoc_file_pending
    from portal.extensions import db
    from portal.models import OrderItem
    from tests import factories

    placed = factories.order(factories.site(subscriber), items=[{} for _ in EDOC_STATES])
    for row, (is_edoc, state) in zip(placed.items, EDOC_STATES):
        row.is_edoc, row.edoc_file_state = is_edoc, state
    db.session.commit()

    in_sql = set(db.session.scalars(select(OrderItem.id).where(OrderItem.edoc_pending)))
    in_python = {row.id for row in placed.items if row.edoc_pending}
    by_rule = {row.id for row in placed.items if edoc_file_pending(row)}
    assert in_sql == in_python == by_rule and len(by_rule) == 2
