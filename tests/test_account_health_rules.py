"""The plain health rules: how a call's outcome reads, which outcomes pause an account, and the one
state (with its next action) an account shows."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from portal.domain.account_health import Health, NextAction, Outcome, account_state, health_of
from portal.domain.account_health import classify as classify_failure
from portal.partners.base import (
    PartnerAddressRefused,
    PartnerApiError,
    PartnerAuthError,
    PartnerNoService,
    PartnerProtocolError,
    PartnerTransientError,
    PartnerUnknownOutcome,
)


def classify(error, partner_name="The partner"):
    """As the integration code calls it: the error's failure kind and its message."""
    if error is None:
        return classify_failure(None, partner_name=partner_name)
    return classify_failure(error.failure, str(error), partner_name)

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "error, outcome, pauses",
    [
        (None, Outcome.OK, False),
        (PartnerAuthError("authentication failed"), Outcome.WRONG_CREDENTIALS, True),
        (PartnerTransientError("Cannot connect to PressWise: Connection refused"), Outcome.UNREACHABLE, False),
        (PartnerUnknownOutcome("PressWise did not answer in time; the order may have been stored"),
         Outcome.UNREACHABLE, False),
        (PartnerProtocolError("PressWise's answer is not valid"), Outcome.UNCLEAR_ANSWER, False),
        (PartnerApiError(7, "unknown customer"), Outcome.REFUSED, False),
        (PartnerNoService("HTTP 404", "no PressWise service at this address"), Outcome.WRONG_ADDRESS, False),
    ],
)
def test_classify(error, outcome, pauses):
    result = classify(error, "PressWise")
    assert result.outcome is outcome
    assert result.pauses_account is pauses
    assert "PressWise" in result.message.split(":")[0], "the message leads with the partner"
    assert "the order may have been stored" not in result.message, "a connection test stores nothing"
    assert result.message.endswith("."), "a whole sentence: what follows it starts its own"


def test_an_address_the_portal_refuses_is_not_called_not_refused_by_the_partner():
    """The portal stopped the call before sending: "Refused by the partner" would blame PressWise."""
    result = classify(PartnerAddressRefused("The portal will not connect to 127.0.0.1 for rebind.example"), "PressWise")
    assert result.outcome is Outcome.NOT_CALLED and result.outcome.label == "Not tested"
    assert result.message == "The portal will not connect to 127.0.0.1 for rebind.example."


def test_a_404_reads_as_a_wrong_address_not_a_refusal():
    result = classify(PartnerNoService("HTTP 404", "no PressWise service at this address"), "PressWise")
    assert result.outcome.label == "Wrong address"
    assert result.message.startswith("No PressWise service at this address: check the URL")
    assert "refused" not in result.message.lower()


def test_a_reason_and_what_follows_it_read_as_two_sentences():
    """Seen: "...password or authorization code The account is paused..." (no full stop between)."""
    result = classify(PartnerAuthError("PressWise refused the credentials: Invalid username, password or "
                                       "authorization code"), "PressWise")
    assert result.message.endswith("authorization code.")
    assert classify(PartnerAuthError("PressWise refused the credentials: wrong?"), "PressWise").message.endswith("wrong?")


@pytest.mark.parametrize(
    "error, message",
    [
        (PartnerTransientError("Cannot connect to PressWise: Connection refused"),
         "Cannot connect to PressWise: Connection refused."),
        (PartnerAuthError("PressWise refused the credentials: bad password"),
         "PressWise refused the credentials: bad password."),
        (PartnerUnknownOutcome("The connection to PressWise broke after sending: reset; the order may have been stored"),
         "The connection to PressWise broke after sending: reset."),
        (PartnerAuthError("authentication failed"), "PressWise refused the credentials: authentication failed."),
        (PartnerApiError(7, "unknown customer"), "PressWise refused the request: code 7: unknown customer."),
    ],
)
def test_a_reason_that_already_names_the_partner_is_not_prefixed_again(error, message):
    assert classify(error, "PressWise").message == message


def test_long_reasons_are_cut_to_fit_the_column():
    assert len(classify(PartnerAuthError("x" * 2000)).message) <= 500


def test_health_word():
    earlier, later = NOW - timedelta(minutes=5), NOW
    assert health_of(active=True, paused_at=None, last_success_at=None, last_error_at=None) is Health.UNTESTED
    assert health_of(active=True, paused_at=None, last_success_at=later, last_error_at=earlier) is Health.OK
    assert health_of(active=True, paused_at=None, last_success_at=earlier, last_error_at=later) is Health.FAILING
    assert health_of(active=True, paused_at=NOW, last_success_at=later, last_error_at=None) is Health.PAUSED
    assert health_of(active=False, paused_at=NOW, last_success_at=later, last_error_at=None) is Health.INACTIVE


def _state(**changes):
    facts = dict(active=True, paused_at=None, paused_reason=None, last_success_at=None, last_error_at=None,
                 last_error=None)
    facts.update(changes)
    return account_state(**facts)


def test_one_state_with_one_next_action():
    earlier, later = NOW - timedelta(minutes=5), NOW
    healthy = _state(last_success_at=later)
    assert (healthy.label, healthy.next_action, healthy.sends_orders) == ("Active", NextAction.NONE, True)

    failing = _state(last_success_at=earlier, last_error_at=later, last_error="Cannot connect to PressWise: refused")
    assert failing.label == "Active, last call failed" and failing.next_action is NextAction.TEST_CONNECTION
    assert failing.reason == "Cannot connect to PressWise: refused."

    paused = _state(paused_at=NOW, paused_reason="PressWise refused the credentials: wrong password",
                    last_error_at=NOW, last_error="PressWise refused the credentials: wrong password")
    assert paused.label == "Paused" and paused.next_action is NextAction.FIX_CREDENTIALS
    assert paused.reason == "PressWise refused the credentials: wrong password."
    assert "correct the password" in paused.fix.lower() and "then Resume" in paused.fix
    assert not paused.sends_orders


def test_inactive_wins_over_paused_and_offers_reactivate_only():
    state = _state(active=False, paused_at=NOW, paused_reason="PressWise refused the credentials")
    assert state.label == "Inactive" and state.next_action is NextAction.REACTIVATE
    assert state.fix is None and state.reason is None, "no Paused box, no Resume beside Reactivate"
    assert "Reactivate" in state.summary
