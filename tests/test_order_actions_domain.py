"""The order state changes as plain functions: transitions, refusals, and 'just became eligible'."""

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from portal.domain.order_actions import (
    OrderActionError,
    approve_pending_items,
    decide_item,
    mark_edoc_ready,
    payment_form_defaults,
    record_payment,
)

NOW = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)


def make_order(*, paid=False, method="credit_card", items=None):
    order = SimpleNamespace(number="10001", payment_status="paid" if paid else "unpaid", payment_method=method,
                            payment_reference="", paid_at=None, items=[])
    for number, spec in enumerate(items or [{}], start=1):
        item = SimpleNamespace(number=number, approval="approved", approval_changed_at=None, is_edoc=False,
                               edoc_file_state=None, order=order)
        for key, value in spec.items():
            setattr(item, key, value)
        order.items.append(item)
    return order


def test_record_payment_marks_paid_and_reports_eligibility():
    order = make_order()
    assert record_payment(order, "check", "  CHK-42 ", NOW) is True
    assert (order.payment_status, order.payment_method, order.payment_reference, order.paid_at) == (
        "paid", "check", "CHK-42", NOW)


def test_record_payment_not_eligible_while_items_pending():
    order = make_order(items=[{"approval": "pending"}])
    assert record_payment(order, "credit_card", "", NOW) is False
    assert order.payment_status == "paid"


def test_open_terms_order_may_be_marked_paid_but_was_already_eligible():
    order = make_order(method="open_terms")
    assert record_payment(order, "bank_transfer", "", NOW) is False
    assert order.payment_status == "paid" and order.payment_method == "bank_transfer"


def test_record_payment_refuses_an_already_paid_order():
    order = make_order(paid=True)
    with pytest.raises(OrderActionError, match="already paid"):
        record_payment(order, "check", "", NOW)


@pytest.mark.parametrize("method", ["bitcoin", "", None])
def test_record_payment_refuses_unknown_method(method):
    order = make_order()
    with pytest.raises(OrderActionError) as error:
        record_payment(order, method, "", NOW)
    assert error.value.field == "method"
    assert order.payment_status == "unpaid"


def test_record_payment_refuses_long_reference():
    order = make_order()
    with pytest.raises(OrderActionError) as error:
        record_payment(order, "check", "x" * 81, NOW)
    assert error.value.field == "reference"
    assert order.payment_status == "unpaid"
    assert record_payment(order, "check", "x" * 80, NOW) is True


def test_naive_time_is_a_programming_error():
    with pytest.raises(ValueError):
        record_payment(make_order(), "check", "", datetime(2024, 1, 1))


def test_approving_last_pending_item_makes_order_eligible():
    order = make_order(paid=True, items=[{}, {"approval": "pending"}])
    assert decide_item(order.items[1], "approve", NOW) is True
    assert order.items[1].approval == "approved"
    assert order.items[1].approval_changed_at == NOW


def test_approving_one_of_two_pending_items_is_not_yet_eligible():
    order = make_order(paid=True, items=[{"approval": "pending"}, {"approval": "pending"}])
    assert decide_item(order.items[0], "approve", NOW) is False
    assert decide_item(order.items[1], "APPROVE", NOW) is True


def test_denying_an_item_records_it_and_never_makes_eligible():
    order = make_order(paid=True, items=[{"approval": "pending"}])
    assert decide_item(order.items[0], "deny", NOW) is False
    assert order.items[0].approval == "denied"


def test_a_denied_item_can_be_approved_later():
    order = make_order(paid=True, items=[{"approval": "denied"}])
    assert decide_item(order.items[0], "approve", NOW) is True


def test_unpaid_order_is_not_eligible_after_approval():
    order = make_order(items=[{"approval": "pending"}])
    assert decide_item(order.items[0], "approve", NOW) is False


@pytest.mark.parametrize("decision", ["maybe", "", None, "approved"])
def test_unknown_decision_is_refused_without_change(decision):
    order = make_order(items=[{"approval": "pending"}])
    with pytest.raises(OrderActionError) as error:
        decide_item(order.items[0], decision, NOW)
    assert error.value.field == "decision"
    assert order.items[0].approval == "pending" and order.items[0].approval_changed_at is None


def test_same_decision_twice_is_refused():
    order = make_order(items=[{"approval": "approved"}])
    with pytest.raises(OrderActionError, match="already approved"):
        decide_item(order.items[0], "approve", NOW)


def test_mark_edoc_ready_clears_the_last_hold():
    order = make_order(paid=True, items=[{"is_edoc": True, "edoc_file_state": "pending"}])
    assert mark_edoc_ready(order.items[0], NOW) is True
    assert order.items[0].edoc_file_state == "ready"


def test_mark_edoc_ready_with_another_edoc_pending_is_not_eligible():
    order = make_order(paid=True, items=[{"is_edoc": True, "edoc_file_state": "pending"},
                                         {"is_edoc": True, "edoc_file_state": None}])
    assert mark_edoc_ready(order.items[0], NOW) is False
    assert mark_edoc_ready(order.items[1], NOW) is True


def test_mark_edoc_ready_refuses_a_plain_item():
    order = make_order()
    with pytest.raises(OrderActionError, match="not an eDocBuilder item"):
        mark_edoc_ready(order.items[0], NOW)


def test_mark_edoc_ready_refuses_a_ready_file():
    order = make_order(items=[{"is_edoc": True, "edoc_file_state": "ready"}])
    with pytest.raises(OrderActionError, match="already ready"):
        mark_edoc_ready(order.items[0], NOW)


def test_open_terms_is_not_a_way_to_record_a_payment():
    order = make_order(method="open_terms")
    with pytest.raises(OrderActionError, match="Open terms is not a payment") as error:
        record_payment(order, "open_terms", "", NOW)
    assert error.value.field == "method"
    assert (order.payment_status, order.payment_method) == ("unpaid", "open_terms")


def test_recording_a_payment_without_a_reference_keeps_the_stored_one():
    order = make_order()
    order.payment_reference = "AUTH-778"
    record_payment(order, "credit_card", None, NOW)
    assert order.payment_reference == "AUTH-778"


def test_a_typed_reference_replaces_the_stored_one_and_blank_clears_it():
    order = make_order()
    order.payment_reference = "AUTH-778"
    record_payment(order, "check", " CHK-9 ", NOW)
    assert order.payment_reference == "CHK-9"
    other = make_order()
    other.payment_reference = "AUTH-778"
    record_payment(other, "check", "  ", NOW)
    assert other.payment_reference == ""


@pytest.mark.parametrize(
    "method, reference, expected",
    [
        ("credit_card", "AUTH-778", {"method": "credit_card", "reference": "AUTH-778"}),
        ("open_terms", "PO-5", {"method": None, "reference": "PO-5"}),
        (None, "", {"method": None, "reference": ""}),
    ],
)
def test_payment_form_starts_from_what_the_order_has(method, reference, expected):
    order = make_order(method=method)
    order.payment_reference = reference
    assert payment_form_defaults(order) == expected


def test_approve_pending_items_approves_them_all_and_leaves_denied_ones():
    order = make_order(paid=True, items=[{"approval": "pending"}, {"approval": "denied"}, {}, {"approval": "pending"}])
    assert approve_pending_items(order, NOW) is False  # the denied item still holds the order
    assert [item.approval for item in order.items] == ["approved", "denied", "approved", "approved"]
    assert [item.approval_changed_at for item in order.items] == [NOW, None, None, NOW]


def test_approve_pending_items_reports_when_the_order_just_became_eligible():
    order = make_order(paid=True, items=[{"approval": "pending"}, {"approval": "pending"}])
    assert approve_pending_items(order, NOW) is True
    unpaid = make_order(items=[{"approval": "pending"}])
    assert approve_pending_items(unpaid, NOW) is False


def test_approve_pending_items_with_nothing_pending_is_refused():
    order = make_order(paid=True, items=[{}, {"approval": "denied"}])
    with pytest.raises(OrderActionError, match="No item of order 10001 is awaiting approval"):
        approve_pending_items(order, NOW)
    assert [item.approval for item in order.items] == ["approved", "denied"]
