"""An account's state follows the calls that pushes and sync runs make with it, not only Test
connection: after orders went out it is no longer "not tested yet", a partner outage shows on it
as "last call failed" with the reason, and the next answer makes it healthy again. An order the
partner refuses (the order's fault) and a call the portal never made say nothing against it."""

from __future__ import annotations

import pytest

from portal.domain.account_health import account_answered
from portal.domain.partner_calls import Failure
from portal.extensions import db
from portal.integration.account_calls import call_signal
from portal.integration.slots import CallNotMade
from portal.models import EmbeddedServicesAccount
from portal.partners.base import PartnerApiError, PartnerTransientError, PartnerUnknownOutcome
from tests import factories
from tests.conftest import soup
from tests.fixtures.push import wait_for_push
from tests.sync_helpers import eligible_orders, run_to_the_end


def _account(pushing_site) -> EmbeddedServicesAccount:
    db.session.expire_all()
    return db.session.get(EmbeddedServicesAccount, pushing_site.account.id)


def _shown_state(client, pushing_site) -> tuple[str, str]:
    """The account's state badge and its last error, as its page shows them."""
    page = soup(client.get(f"/embedded-services/{pushing_site.account.id}"))
    return (page.select_one("[data-account-state]")["data-account-state"],
            page.select_one(".last-error").get_text(" ", strip=True))


def _pay(client, order) -> None:
    client.post(f"/orders/{order.id}/payment", data={"method": "check"})


@pytest.mark.parametrize(("failure", "answered"), [
    (None, True),
    (Failure.REFUSED, True),  # the partner answered: the order was at fault
    (Failure.WRONG_CREDENTIALS, None),  # pauses the account on its own path
    (Failure.NOT_SENT, False),
    (Failure.UNKNOWN_OUTCOME, False),
    (Failure.BAD_ANSWER, False),
    (Failure.NO_SERVICE, False),
    (Failure.ADDRESS_REFUSED, False),
])
def test_what_a_call_says_about_the_account(failure, answered):
    assert account_answered(failure) is answered


def test_a_call_the_portal_never_made_says_nothing_and_a_refusal_is_an_answer():
    assert call_signal(CallNotMade("no slot in time; nothing was sent"), "PressWise") is None
    assert call_signal(PartnerApiError(2, "data.item[1].quantity"), "PressWise").ok
    assert not call_signal(PartnerTransientError("HTTP 500"), "PressWise").ok
    failing = call_signal(PartnerUnknownOutcome("No answer within 10 s; the order may have been stored"), "PressWise")
    assert not failing.ok and "did not answer" in failing.message


def test_pushed_orders_make_an_untested_account_active(logged_in, pushing_site, presswise, rq_worker,
                                                       no_push_jobs_left):
    assert _shown_state(logged_in, pushing_site)[0] == "untested"
    order = factories.order(pushing_site.site)
    db.session.commit()
    _pay(logged_in, order)
    assert wait_for_push(order, pushing_site.account).state == "pushed"

    account = _account(pushing_site)
    assert account.last_success_at is not None and account.last_error is None
    assert _shown_state(logged_in, pushing_site) == ("ok", "None")


def test_an_outage_shows_on_the_account_until_the_partner_answers_again(logged_in, pushing_site, presswise,
                                                                         rq_worker, no_push_jobs_left):
    presswise.inject_fault("http500", fraction=1.0, operation="add_purchase_order")
    order = factories.order(pushing_site.site)
    db.session.commit()
    _pay(logged_in, order)
    assert wait_for_push(order, pushing_site.account, states=("failed",), timeout=40).state == "failed"

    state, last_error = _shown_state(logged_in, pushing_site)
    assert state == "failing", "the pushes failed: the account says so, not only the order"
    assert "Internal Server Error" in last_error, last_error
    assert not _account(pushing_site).is_paused, "an outage is retried, not a reason to pause"

    presswise.clear_faults()
    second = factories.order(pushing_site.site, number="A-second")
    db.session.commit()
    _pay(logged_in, second)
    assert wait_for_push(second, pushing_site.account).state == "pushed"
    account = _account(pushing_site)
    assert account.last_success_at > account.last_error_at
    assert _shown_state(logged_in, pushing_site)[0] == "ok"


def test_an_order_the_partner_refuses_counts_as_an_answer(logged_in, pushing_site, presswise, rq_worker,
                                                          no_push_jobs_left):
    order = factories.order(pushing_site.site, items=[{}, {"quantity": 0}])  # PressWise: code 2, invalid
    db.session.commit()
    _pay(logged_in, order)
    row = wait_for_push(order, pushing_site.account)
    assert row.state == "failed" and "quantity" in row.last_error

    account = _account(pushing_site)
    assert (account.last_error, account.last_error_at) == (None, None)
    assert account.last_success_at is not None
    assert _shown_state(logged_in, pushing_site)[0] == "ok"


def test_sync_runs_note_their_own_calls(logged_in, pushing_site, presswise, rq_worker):
    eligible_orders(pushing_site.site, 3, prefix="H")
    db.session.commit()
    dry_run = run_to_the_end(logged_in, pushing_site.link, "orders", dry_run=True)
    assert dry_run.state == "finished" and dry_run.pushed == 3
    assert _account(pushing_site).last_success_at is not None, "a dry run's find_orders calls were answered"
    assert run_to_the_end(logged_in, pushing_site.link, "orders").pushed == 3

    presswise.inject_fault("http500", fraction=1.0, operation="get_order_status")
    status_run = run_to_the_end(logged_in, pushing_site.link, "status")
    assert status_run.failed == 3
    state, last_error = _shown_state(logged_in, pushing_site)
    assert state == "failing" and last_error != "None"
