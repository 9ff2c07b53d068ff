"""Test connection: one authenticated call through the partner client, recorded on the account."""

from __future__ import annotations

import logging

from flask import current_app

from portal.crypto import SecretUnreadable
from portal.domain.account_health import CallOutcome, Outcome, classify
from portal.domain.partner_urls import PartnerUrlError, PartnerUrlRules, validate_partner_url
from portal.models import EmbeddedServicesAccount
from portal.partners import client_for
from portal.partners.base import AccountSettings, Partner, PartnerError, Timeouts

log = logging.getLogger(__name__)


def partner_timeouts() -> Timeouts:
    return Timeouts(
        connect=float(current_app.config["PARTNER_CONNECT_TIMEOUT"]),
        read=float(current_app.config["PARTNER_READ_TIMEOUT"]),
    )


def partner_client(partner: str, settings: AccountSettings) -> Partner:
    """The account's client; each connection it opens is checked against the URL rules again.

    The URL was checked when saved, but its host's DNS answer may differ when the call is
    made (DNS rebinding), so the address actually connected to is what the guard judges.
    """
    rules = PartnerUrlRules.from_config(current_app.config)
    return client_for(partner, settings, partner_timeouts(), address_guard=rules.guard())


def check_connection(account: EmbeddedServicesAccount) -> CallOutcome:
    """Call the partner with the account's credentials; record and return how it went.

    Wrong credentials pause the account. The caller commits.
    """
    try:
        # The rules may have changed since the URL was saved (e.g. a host left the allow-list).
        validate_partner_url(account.url, PartnerUrlRules.from_config(current_app.config))
    except PartnerUrlError as error:
        return CallOutcome(Outcome.REFUSED, f"The portal will not call this URL: {error}")
    try:
        settings = account.partner_settings()
    except SecretUnreadable:
        return CallOutcome(
            Outcome.REFUSED,
            "The stored password cannot be decrypted with the configured keys. "
            "Enter the password and authorization code again.",
        )
    try:
        partner_client(account.partner, settings).test_connection()
        error = None
    except PartnerError as caught:
        error = caught
    outcome = classify(error, account.partner_name)
    log.info("test connection of account %s: %s", account.id, outcome.outcome.value)
    account.record_outcome(outcome)
    return outcome
