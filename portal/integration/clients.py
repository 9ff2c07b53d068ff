"""The partner client for an account, with the portal's timeouts and connection guard."""

from __future__ import annotations

from flask import current_app

from portal.domain.account_health import CallOutcome, classify
from portal.domain.partner_urls import PartnerUrlRules
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


def partner_client(account: EmbeddedServicesAccount) -> Partner:
    """The account's client; each connection it opens is checked against the URL rules again.

    The URL was checked when saved, but its host's DNS answer may differ when the call is
    made (DNS rebinding), so the address actually connected to is what the guard judges.
    Raises ``portal.crypto.SecretUnreadable`` when the stored secrets cannot be decrypted.
    """
    rules = PartnerUrlRules.from_config(current_app.config)
    return client_for(account.partner, account.partner_settings(), partner_timeouts(), address_guard=rules.guard())


def outcome_of(error: PartnerError | None, partner_name: str) -> CallOutcome:
    """How a call ended (``error`` None: success), in the words we record and show."""
    if error is None:
        return classify(None, partner_name=partner_name)
    return classify(error.failure, str(error), partner_name)
