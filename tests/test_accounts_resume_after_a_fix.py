"""After wrong credentials paused an account, fixing them does not resume it by itself
(resuming starts pushes again): a successful Test connection says the account is still
paused and offers Resume right in its answer; saving new secrets says so too.
"""

from __future__ import annotations

import pytest

from portal.extensions import db
from tests import embedded_factories
from tests.conftest import soup, wait_for_connection_test


@pytest.fixture
def authorized(logged_in, subscriber, rq_worker):
    embedded_factories.authorize(subscriber)
    db.session.commit()
    return logged_in


@pytest.fixture
def paused_account(authorized, subscriber, presswise):
    """An emulator account paused by a real wrong-credentials answer, then given the right password."""
    settings = presswise.account_with()
    account = embedded_factories.account(
        subscriber, name="Emulator", url=settings.url, username=settings.username,
        password="not-the-password", authorization_code=settings.authorization_code)
    db.session.commit()
    wait_for_connection_test(authorized, account)
    assert account.is_paused
    account.password = settings.password
    db.session.commit()
    return account


def test_a_successful_test_of_a_paused_account_offers_resume(authorized, paused_account):
    fragment = wait_for_connection_test(authorized, paused_account)
    assert "Connection OK" in fragment.select_one(".connection-result").get_text()
    offer = fragment.select_one("form.still-paused")
    assert "still paused" in offer.get_text()
    assert offer["hx-post"] == f"/embedded-services/{paused_account.id}/resume"
    assert offer["hx-target"] == "#account-status"
    assert offer.select_one("button.resume").get_text(strip=True) == "Resume now"
    db.session.expire_all()
    assert paused_account.is_paused, "a test alone resumes nothing"

    resumed = soup(authorized.htmx("post", f"/embedded-services/{paused_account.id}/resume"))
    assert resumed.select_one("#account-status .resume") is None
    stale = resumed.select_one("#connection-result")
    assert stale["hx-swap-oob"] == "innerHTML" and stale.get_text(strip=True) == "", "the offer is cleared"
    db.session.expire_all()
    assert not paused_account.is_paused


def test_a_successful_test_of_a_running_account_offers_nothing(authorized, paused_account):
    paused_account.resume()
    db.session.commit()
    fragment = wait_for_connection_test(authorized, paused_account)
    assert "Connection OK" in fragment.select_one(".connection-result").get_text()
    assert fragment.select_one("form.still-paused") is None


def test_without_javascript_the_account_page_says_it_is_still_paused(authorized, paused_account):
    wait_for_connection_test(authorized, paused_account)
    page = soup(authorized.get(f"/embedded-services/{paused_account.id}"))
    assert "still paused" in page.select_one("#connection-result form.still-paused").get_text()
    assert page.select_one("#account-status button.resume") is not None


def test_saving_new_secrets_says_the_account_is_still_paused(authorized, paused_account):
    response = authorized.post(f"/embedded-services/{paused_account.id}/edit", data={
        "partner": "presswise", "name": paused_account.name, "url": paused_account.url,
        "username": paused_account.username, "password": "another", "authorization_code": "",
        "initial_status": "New"})
    assert response.status_code == 302
    page = soup(authorized.get(response.headers["Location"]))
    assert "still paused: test the connection, then press Resume" in page.select_one(".flash-warning").get_text()
