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


def record_payment(order, method: str | PaymentMethod, reference: str, now: datetime) -> bool:
    """Mark ``order`` paid by ``method``; an open-terms order may be marked paid too."""
    _require_aware(now)
    if order.payment_status == PaymentStatus.PAID.value:
        raise OrderActionError(f"Order {order.number} is already paid.")
    try:
        method = PaymentMethod(method)
    except ValueError:
        raise OrderActionError("Choose a payment method from the list.", field="method") from None
    reference = (reference or "").strip()
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
