"""What the portal needs from any MIS partner, and the outcomes a call can have.

No Flask here: jobs, views and tests all use these types. A partner module (PressWise
today) implements ``Partner``; a second partner is a new module, not a rewrite.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Callable, Protocol

from portal.domain.partner_calls import Failure, NextStep, next_step


# --- configuration -----------------------------------------------------------------

@dataclass(frozen=True)
class AccountSettings:
    """One partner account as the client needs it. Secrets are decrypted only to build this."""

    url: str
    username: str
    password: str = field(repr=False)
    authorization_code: str = field(repr=False)
    initial_status: str = "New"
    send_pricing_in_notes: bool = False


@dataclass(frozen=True)
class Timeouts:
    connect: float = 5.0
    read: float = 30.0

    @property
    def deadline(self) -> float:
        """Seconds a whole call may take: connecting, sending, and reading the full answer.

        ``connect`` and ``read`` bound each wait for the network; a partner that sends one byte
        per second never trips them, so the call as a whole gets this limit too.
        """
        return self.connect + self.read


# --- outcomes ----------------------------------------------------------------------

class PartnerError(Exception):
    """Base of every failure a partner call can end in.

    ``failure`` says what happened and ``next_step`` what the caller must do: never "just
    send it again" after an unknown outcome, which is how orders get duplicated.
    """

    failure = Failure.REFUSED

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    @property
    def next_step(self) -> NextStep:
        return next_step(self.failure)


class PartnerAuthError(PartnerError):
    """Wrong credentials: stop using the account until a person fixes it."""

    failure = Failure.WRONG_CREDENTIALS


class PartnerApiError(PartnerError):
    """The partner answered and refused (a non-zero code that is not worth retrying)."""

    def __init__(self, code: int | str, text: str):
        super().__init__(f"code {code}: {text}")
        self.code = code
        self.text = text


class PartnerNoService(PartnerApiError):
    """Nothing at the account's URL speaks the partner's API (HTTP 404): the address is wrong,
    not the request. Kept a ``PartnerApiError`` (code ``HTTP 404``) for what records its code."""

    failure = Failure.NO_SERVICE


class PartnerAddressRefused(PartnerError):
    """The connection reached an address the portal will not call (e.g. a host whose DNS answer
    changed to 127.0.0.1 after its URL was checked). Checked before anything is sent."""

    failure = Failure.ADDRESS_REFUSED


# Called with the URL's host and the IP address a new connection reached, before anything is
# sent on it; raises ``portal.domain.partner_calls.AddressRefused`` to stop the call (the
# client reports it as ``PartnerAddressRefused``). Keep it hashable (clients are
# cached per guard).
AddressGuard = Callable[[str, str], None]


class PartnerTransientError(PartnerError):
    """Nothing was stored, or the partner said so: timeout before sending, refused, 5xx, Fault, code 9."""

    failure = Failure.NOT_SENT


class PartnerUnknownOutcome(PartnerError):
    """The request went out and no usable answer came back: the partner may have stored it.

    Before pushing again, ask the partner (``find_orders``) whether it did.
    """

    failure = Failure.UNKNOWN_OUTCOME


class PartnerProtocolError(PartnerUnknownOutcome):
    """The answer was not a valid response (malformed, hostile, too large, missing fields)."""

    failure = Failure.BAD_ANSWER


# --- results -----------------------------------------------------------------------

@dataclass(frozen=True)
class PushResult:
    partner_order_id: str
    job_ids: dict[str, str]  # our item number (sourceJobID) -> partner job ID


@dataclass(frozen=True)
class FoundOrder:
    partner_order_id: str
    status: str
    created_at: str


@dataclass(frozen=True)
class PartnerShipment:
    source_job_id: str  # empty: applies to every item of the order
    ship_date: date | None
    method: str
    carrier: str
    tracking_number: str
    cost: Decimal


@dataclass(frozen=True)
class PartnerJobStatus:
    partner_job_id: str
    source_job_id: str
    status: str  # empty: the order's status applies


@dataclass(frozen=True)
class PartnerOrderStatus:
    partner_order_id: str
    status: str
    last_modified: str
    jobs: list[PartnerJobStatus]
    shipments: list[PartnerShipment]


@dataclass(frozen=True)
class UserResult:
    partner_user_id: str
    adopted: bool  # True when the partner already had this login and we took its ID


class Partner(Protocol):
    """The operations the portal uses. Every method raises a ``PartnerError`` subclass on failure."""

    def push_order(self, order, *, customer_id: str, user_id: str | None = None) -> PushResult: ...

    def create_user(self, site_user, *, customer_id: str) -> UserResult: ...

    def find_orders(self, order_number: str, *, customer_id: str | None = None) -> list[FoundOrder]: ...

    def get_order_status(self, partner_order_id: str) -> PartnerOrderStatus: ...

    def test_connection(self) -> None: ...
