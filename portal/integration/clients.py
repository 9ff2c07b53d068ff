"""The partner client for an account, with the portal's timeouts, connection guard and call cap."""

from __future__ import annotations

import threading

from flask import current_app

from portal.domain.account_health import CallOutcome, classify
from portal.domain.partner_urls import PartnerUrlRules
from portal.integration.slots import CallSlots, CappedPartner
from portal.models import EmbeddedServicesAccount
from portal.partners import client_for
from portal.partners.base import Partner, PartnerError, Timeouts


def partner_timeouts() -> Timeouts:
    return Timeouts(
        connect=float(current_app.config["PARTNER_CONNECT_TIMEOUT"]),
        read=float(current_app.config["PARTNER_READ_TIMEOUT"]),
    )


def call_deadline() -> float:
    """Seconds one partner call may take at most, from connecting to the last byte of the answer."""
    timeouts = partner_timeouts()
    return timeouts.connect + timeouts.read


def job_timeout(calls: int) -> int:
    """An RQ job timeout for a job making up to ``calls`` partner calls: a little above their deadlines,
    so the client's own deadline ends a slow call and RQ's timeout is only the backstop."""
    return int(calls * call_deadline()) + 15


def partner_client(account: EmbeddedServicesAccount, *, bulk: bool = False, calls_end_by: float | None = None,
                   turn: threading.Lock | None = None) -> Partner:
    """The account's client; each connection it opens is checked against the URL rules again.

    The URL was checked when saved, but its host's DNS answer may differ when the call is
    made (DNS rebinding), so the address actually connected to is what the guard judges.
    Every call takes one of the account's call slots first (``account_slots``): ``bulk``
    callers (sync runs) give way to single pushes waiting for one.
    ``calls_end_by`` (``time.monotonic()``): no call starts that could end after it (a push's lease).
    ``turn``: clients sharing this lock make one call at a time (see ``CappedPartner``).
    Raises ``portal.crypto.SecretUnreadable`` when the stored secrets cannot be decrypted.
    """
    rules = PartnerUrlRules.from_config(current_app.config)
    client = client_for(account.partner, account.partner_settings(), partner_timeouts(), address_guard=rules.guard())
    return CappedPartner(client, account_slots(account, bulk=bulk), bulk=bulk, calls_end_by=calls_end_by,
                         call_deadline=call_deadline(), turn=turn)


def account_slots(account: EmbeddedServicesAccount, *, bulk: bool = False) -> CallSlots:
    """The account's ``max_concurrent_calls`` slots, shared by every process through Redis.

    A slot outlives its call's deadline by 2 s, so a killed process's slots free themselves soon (a
    sync run holds the whole cap: until then every push of the account waits for a slot). A
    single push waits for one at most a few seconds, then fails as "not sent" and is retried
    later; a sync run waits as long as it takes.
    """
    from portal.queue import redis_connection

    deadline = call_deadline()
    return CallSlots(redis_connection(), account.id, account.max_concurrent_calls, hold_seconds=deadline + 2,
                     max_wait=300.0 if bulk else min(10.0, deadline))


def outcome_of(error: PartnerError | None, partner_name: str) -> CallOutcome:
    """How a call ended (``error`` None: success), in the words we record and show."""
    if error is None:
        return classify(None, partner_name=partner_name)
    return classify(error.failure, str(error), partner_name)
