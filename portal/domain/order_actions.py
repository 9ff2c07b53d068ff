"""The state changes a storefront admin makes on an order, as plain functions.

Each function changes the ORM object it is given (the caller commits), raises
``OrderActionError`` with a message fit to show the admin when the change makes no
sense, and returns True when this very change cleared the order's last integration
hold, so the caller can push the order to its partners. No Flask here.
"""

from __future__ import annotations

from datetime import datetime

from portal.domain.orders import (
    Approval,
    EdocFileState,
    PaymentMethod,
    PaymentStatus,
    is_eligible,
)

PAYMENT_REFERENCE_MAX_LENGTH = 80

DECISIONS = {"approve": Approval.APPROVED, "deny": Approval.DENIED}

# Open terms is an agreement to pay later, not a way of paying: a customer on open terms who
# pays does so by one of these, and the order keeps "open terms" only while it is unpaid.
PAYMENT_METHODS_RECEIVED = tuple(method for method in PaymentMethod if method is not PaymentMethod.OPEN_TERMS)


class OrderActionError(ValueError):
    """A change the admin asked for cannot be made; ``message`` says why in their words.

    ``field`` names the form field the message belongs to, when there is one.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("now must be a timezone-aware datetime")


def payment_form_defaults(order) -> dict[str, str | None]:
    """What the record-payment form starts with: the method and reference the order already has.

    The storefront may have stored a reference (a card authorization, a check number); the
    form shows it so recording the payment keeps it unless the admin changes it. Open terms
    is no answer to "how was it paid", so such an order starts with no method chosen.
    """
    method = order.payment_method if order.payment_method in {m.value for m in PAYMENT_METHODS_RECEIVED} else None
    return {"method": method, "reference": order.payment_reference or ""}


def record_payment(order, method: str | PaymentMethod, reference: str | None, now: datetime) -> bool:
    """Mark ``order`` paid by ``method``; an open-terms order may be marked paid too.

    ``reference`` replaces the order's reference (blank clears it); None keeps the one it has.
    """
    _require_aware(now)
    if order.payment_status == PaymentStatus.PAID.value:
        raise OrderActionError(f"Order {order.number} is already paid.")
    try:
        method = PaymentMethod(method)
    except ValueError:
        raise OrderActionError("Choose a payment method from the list.", field="method") from None
    if method not in PAYMENT_METHODS_RECEIVED:
        raise OrderActionError(
            "Open terms is not a payment: choose how the customer paid (check, card or transfer).", field="method"
        )
    if reference is None:
        reference = order.payment_reference or ""
    reference = reference.strip()
    if len(reference) > PAYMENT_REFERENCE_MAX_LENGTH:
        raise OrderActionError(
            f"The reference can be at most {PAYMENT_REFERENCE_MAX_LENGTH} characters.", field="reference"
        )
    was_eligible = is_eligible(order)
    order.payment_status = PaymentStatus.PAID.value
    order.payment_method = method.value
    order.payment_reference = reference
    order.paid_at = now
    return not was_eligible and is_eligible(order)


def decide_item(item, decision: str, now: datetime) -> bool:
    """Approve or deny one item (``decision`` is ``approve`` or ``deny``); a decision may be reversed."""
    _require_aware(now)
    approval = DECISIONS.get((decision or "").strip().lower())
    if approval is None:
        raise OrderActionError("Unknown decision: choose Approve or Deny.", field="decision")
    if item.approval == approval.value:
        raise OrderActionError(f"Item #{item.number} is already {approval.value}.")
    order = item.order
    was_eligible = is_eligible(order)
    item.approval = approval.value
    item.approval_changed_at = now
    return not was_eligible and is_eligible(order)


def items_awaiting_approval(order) -> list:
    return [item for item in order.items if item.approval == Approval.PENDING.value]


def approve_pending_items(order, now: datetime) -> bool:
    """Approve every item of ``order`` still awaiting approval; denied items keep their decision.

    One change for the whole order, so it can clear the approval hold only once.
    """
    _require_aware(now)
    pending = items_awaiting_approval(order)
    if not pending:
        raise OrderActionError(f"No item of order {order.number} is awaiting approval.")
    was_eligible = is_eligible(order)
    for item in pending:
        item.approval = Approval.APPROVED.value
        item.approval_changed_at = now
    return not was_eligible and is_eligible(order)


def mark_edoc_ready(item, now: datetime) -> bool:
    """Record that the eDocBuilder file of ``item`` is ready for production."""
    _require_aware(now)
    if not item.is_edoc:
        raise OrderActionError(f"Item #{item.number} is not an eDocBuilder item; it has no file to mark ready.")
    if item.edoc_file_state == EdocFileState.READY.value:
        raise OrderActionError(f"The eDocBuilder file of item #{item.number} is already ready.")
    order = item.order
    was_eligible = is_eligible(order)
    item.edoc_file_state = EdocFileState.READY.value
    return not was_eligible and is_eligible(order)
