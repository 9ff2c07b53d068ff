"""Which storefront item status a PressWise status means, per account.

PressWise knows 21 statuses (docs/presswise-contract.md); the storefront's items have the
stages of ``ItemStatus``. ``DEFAULT_MAPPING`` is a sensible reading of every contract status;
an account stores only where it differs (``overrides``), so a better default here reaches
every account that did not choose otherwise. A status mapped to nothing (``UNMAPPED``), or one
outside the contract that nobody mapped, leaves the item's status as it is and is flagged.
No Flask here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from portal.domain.orders import ItemStatus

# In the contract's order (docs/presswise-contract.md, "PressWise statuses").
CONTRACT_STATUSES: tuple[str, ...] = (
    "New", "On Hold", "Files Needed", "Prepress Review", "AUTO Proof Pending", "Waiting Approval",
    "Payment Pending", "Ready", "AUTO New", "AUTO Artwork Pending", "AUTO Artwork Exception",
    "AUTO Data Pending", "AUTO Data Exception", "AUTO Payment Pending", "AUTO Payment Exception",
    "AUTO Ready Pending", "AUTO Ready Exception", "Production", "Shipped", "Closed", "Cancelled",
)

# The stored value of "keep the item's status and flag the order".
UNMAPPED = ""

_R, _H, _P, _M = ItemStatus.RECEIVED, ItemStatus.ON_HOLD, ItemStatus.PREPRESS, ItemStatus.IN_PRODUCTION
DEFAULT_MAPPING: dict[str, str] = {
    "New": _R.value,
    "AUTO New": _R.value,
    # Waiting for the customer or for money: nothing moves until someone acts.
    "On Hold": _H.value,
    "Files Needed": _H.value,
    "Payment Pending": _H.value,
    "AUTO Artwork Pending": _H.value,
    "AUTO Artwork Exception": _H.value,
    "AUTO Data Pending": _H.value,
    "AUTO Data Exception": _H.value,
    "AUTO Payment Pending": _H.value,
    "AUTO Payment Exception": _H.value,
    "AUTO Ready Exception": _H.value,
    # Files and proofs being prepared and approved.
    "Prepress Review": _P.value,
    "AUTO Proof Pending": _P.value,
    "Waiting Approval": _P.value,
    "AUTO Ready Pending": _P.value,
    # Released to the press (Ready) or on it.
    "Ready": _M.value,
    "Production": _M.value,
    "Shipped": ItemStatus.SHIPPED.value,
    "Closed": ItemStatus.COMPLETED.value,
    "Cancelled": ItemStatus.CANCELLED.value,
}
assert set(DEFAULT_MAPPING) == set(CONTRACT_STATUSES)

ITEM_STATUSES: tuple[str, ...] = tuple(status.value for status in ItemStatus)
MAX_STATUS_LENGTH = 80


def _key(status: str) -> str:
    """PressWise statuses compare without regard to case and surrounding blanks."""
    return " ".join((status or "").split()).casefold()


def effective_mapping(overrides: Mapping[str, str] | None) -> dict[str, str]:
    """The defaults with the account's choices on top; a status mapped to ``UNMAPPED`` is absent."""
    mapping = dict(DEFAULT_MAPPING)
    for status, item_status in (overrides or {}).items():
        mapping[status] = item_status
    return {status: item_status for status, item_status in mapping.items() if item_status != UNMAPPED}


class StatusMap:
    """An account's mapping, ready to answer many lookups."""

    def __init__(self, overrides: Mapping[str, str] | None = None):
        self._by_key = {_key(status): item for status, item in effective_mapping(overrides).items()}

    def item_status(self, partner_status: str) -> str | None:
        """The item status ``partner_status`` means, or None: keep the item's status and flag it."""
        return self._by_key.get(_key(partner_status))


def overrides_from(chosen: Mapping[str, str]) -> dict[str, str]:
    """What to store for an account that chose ``chosen`` (status -> item status or ``UNMAPPED``):
    only the differences from the defaults. Raises ValueError for an unknown item status."""
    overrides = {}
    for status, item_status in chosen.items():
        status = " ".join((status or "").split())
        if not status or len(status) > MAX_STATUS_LENGTH:
            raise ValueError(f"a PressWise status must have 1 to {MAX_STATUS_LENGTH} characters")
        if item_status != UNMAPPED and item_status not in ITEM_STATUSES:
            raise ValueError(f"{item_status!r} is not an item status")
        if DEFAULT_MAPPING.get(status, UNMAPPED) != item_status:
            overrides[status] = item_status
    return overrides


def statuses_to_show(overrides: Mapping[str, str] | None, seen: Iterable[str] = ()) -> list[str]:
    """The rows of the mapping form: the contract's statuses, then any other the account mapped or
    PressWise sent (``seen``), each once."""
    shown = list(CONTRACT_STATUSES)
    known = {_key(status) for status in shown}
    for status in [*(overrides or {}), *seen]:
        if status and _key(status) not in known:
            known.add(_key(status))
            shown.append(status)
    return shown


def chosen_item_status(status: str, overrides: Mapping[str, str] | None) -> str:
    """What the form shows as chosen for ``status``: the override, else the default, else ``UNMAPPED``."""
    if overrides and status in overrides:
        return overrides[status]
    return DEFAULT_MAPPING.get(status, UNMAPPED)
