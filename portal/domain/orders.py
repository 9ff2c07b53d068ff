"""Order vocabulary and the integration rules that decide whether an order may go to a partner."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Protocol


class PaymentStatus(str, enum.Enum):
    UNPAID = "unpaid"
    PAID = "paid"


class PaymentMethod(str, enum.Enum):
    CREDIT_CARD = "credit_card"
    CHECK = "check"
    BANK_TRANSFER = "bank_transfer"
    OPEN_TERMS = "open_terms"

    @property
    def label(self) -> str:
        return {
            "credit_card": "Credit card",
            "check": "Check",
            "bank_transfer": "Bank transfer",
            "open_terms": "Open terms",
        }[self.value]


class Approval(str, enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"


class EdocFileState(str, enum.Enum):
    PENDING = "pending"
    READY = "ready"


class ItemStatus(str, enum.Enum):
    """Workflow stages of an order item on the storefront side."""

    RECEIVED = "Received"
    ON_HOLD = "On Hold"
    PREPRESS = "Prepress"
    IN_PRODUCTION = "In Production"
    READY_TO_SHIP = "Ready to Ship"
    SHIPPED = "Shipped"
    COMPLETED = "Completed"
    CANCELLED = "Cancelled"


MONEY_QUANTUM = Decimal("0.01")


def money(value) -> Decimal:
    """Round to cents the way invoices do (half up), from str/int/Decimal; never float maths."""
    if isinstance(value, float):
        value = repr(value)
    return Decimal(value).quantize(MONEY_QUANTUM, rounding=ROUND_HALF_UP)


class ItemLike(Protocol):
    number: int
    approval: str
    is_edoc: bool
    edoc_file_state: str | None


class OrderLike(Protocol):
    payment_status: str
    payment_method: str | None
    items: Iterable[ItemLike]


@dataclass(frozen=True)
class Hold:
    """One integration rule an order does not meet yet."""

    rule: str
    message: str
    permanent: bool = False


RULE_PAYMENT = "payment"
RULE_APPROVAL = "approval"
RULE_EDOC = "edoc"
RULE_NO_ITEMS = "items"


def _value(x) -> str | None:
    return x.value if isinstance(x, enum.Enum) else x


def tax_total(order) -> Decimal:
    """Tax 1 + tax 2 + tax 3 + VAT: what invoices and PressWise's ``taxCost`` show as tax."""
    return sum((getattr(order, name) or Decimal("0.00") for name in ("tax1", "tax2", "tax3", "vat")), Decimal("0.00"))


def is_paid_or_open_terms(order: OrderLike) -> bool:
    return (
        _value(order.payment_status) == PaymentStatus.PAID.value
        or _value(order.payment_method) == PaymentMethod.OPEN_TERMS.value
    )


def edoc_file_pending(item: ItemLike) -> bool:
    """An eDocBuilder item whose file is not ready for production yet (no state yet counts as pending)."""
    return bool(item.is_edoc) and _value(item.edoc_file_state) != EdocFileState.READY.value


def integration_holds(order: OrderLike) -> list[Hold]:
    """Every rule that keeps ``order`` from being pushed to a partner; empty means eligible.

    The seed's three rules: paid or open terms, every item approved, no eDocBuilder item
    whose file is still pending. A denied item holds the order for good until it changes.
    """
    holds: list[Hold] = []
    items = list(order.items)
    if not items:
        holds.append(Hold(RULE_NO_ITEMS, "The order has no items.", permanent=True))
    if not is_paid_or_open_terms(order):
        holds.append(Hold(RULE_PAYMENT, "The order is not paid and not on open terms."))

    pending = [i.number for i in items if _value(i.approval) == Approval.PENDING.value]
    denied = [i.number for i in items if _value(i.approval) == Approval.DENIED.value]
    if denied:
        holds.append(
            Hold(RULE_APPROVAL, f"Item {_numbers(denied)} {'was' if len(denied) == 1 else 'were'} denied.", permanent=True)
        )
    if pending:
        holds.append(Hold(RULE_APPROVAL, f"Item {_numbers(pending)} {'is' if len(pending) == 1 else 'are'} awaiting approval."))

    edoc_pending = [i.number for i in items if edoc_file_pending(i)]
    if edoc_pending:
        holds.append(
            Hold(RULE_EDOC, f"eDocBuilder file for item {_numbers(edoc_pending)} {'is' if len(edoc_pending) == 1 else 'are'} still pending.")
        )
    return holds


def is_eligible(order: OrderLike) -> bool:
    return not integration_holds(order)


def _numbers(numbers: list[int]) -> str:
    shown = ", ".join(f"#{n}" for n in sorted(numbers))
    return shown
