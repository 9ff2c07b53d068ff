"""Recovery after wrong credentials takes one step: "Save and test" saves the corrected credentials,
runs Test connection, and a test that passes resumes the paused account, sends the orders that
waited for it and says so.
"""

from __future__ import annotations

import time

import pytest

from portal.extensions import db
from tests import embedded_factories, factories
from tests.conftest import soup
from tests.fixtures.presswise import AUTH_CODE, PASSWORD
from tests.fixtures.push import partner_orders_for, wait_for_push


@pytest.fixture(autouse=True)
def _worker(rq_worker):
    return rq_worker


def _form(account, **changes) -> dict:
    data = {"partner": "presswise", "name": account.name, "url": account.url, "username": account.username,
            "password": "", "authorization_code": "", "initial_status": "New"}
    data.update(changes)
    return data


def _answer_of_the_latest_test(client, account, timeout: float = 30.0):
    """Follow the account page's polling (GET, as the panel does) until the worker's answer is in."""
    deadline = time.monotonic() + timeout
    while True:
        fragment = soup(client.htmx("get", f"/embedded-services/{account.id}/test"))
        if fragment.select_one("#connection-result[hx-get]") is None:
            db.session.expire_all()
            return fragment
        assert time.monotonic() < deadline, f"the test did not settle: {fragment}"
        time.sleep(0.1)


def _wait_until_paused(account, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        db.session.expire_all()
        if account.is_paused:
            return
        assert time.monotonic() < deadline, "the wrong password did not pause the account"
        time.sleep(0.1)


def test_save_and_test_resumes_a_paused_account_and_sends_what_waited(logged_in, pushing_site, presswise):
    account = pushing_site.account
    account.password = "not-the-password"
    order = factories.order(pushing_site.site)
    db.session.commit()
    logged_in.post(f"/orders/{order.id}/payment", data={"method": "check"})
    _wait_until_paused(account)  # the push met the wrong password: the order waits, unsent
    assert wait_for_push(order, account, states=("queued",)).state == "queued"
    assert partner_orders_for(presswise, order) == []

    edit = soup(logged_in.get(f"/embedded-services/{account.id}/edit"))
    button = edit.select_one("form.account-form button.save-and-test")
    assert button.get_text(strip=True) == "Save and test" and button["name"] == "and_test"

    saved = logged_in.post(f"/embedded-services/{account.id}/edit",
                           data=_form(account, password=PASSWORD, and_test="1"))
    assert saved.status_code == 302
    page = soup(logged_in.get(saved.headers["Location"]))
    assert "Testing the connection" in page.select_one(".flash-success").get_text()
    assert "if it passes, the account is resumed" in page.select_one(".flash-success").get_text()
    assert page.select_one("#connection-result") is not None, "the page follows the test (or shows its answer)"

    answer = _answer_of_the_latest_test(logged_in, account)
    text = " ".join(answer.select_one(".connection-result").get_text().split())
    assert text.startswith("Connection OK. PressWise answered and accepted the credentials. "
                           "The account was paused and is resumed: 1 waiting order is being sent."), text
    assert answer.select_one("form.still-paused") is None, "nothing left to resume"
    assert not account.is_paused
    assert answer.select_one("#account-status [data-account-state]").get_text(strip=True) == "Active"
    assert wait_for_push(order, account).state == "pushed"
    assert len(partner_orders_for(presswise, order)) == 1


def test_save_and_test_with_the_password_still_wrong_leaves_it_paused(logged_in, pushing_site, presswise):
    account = pushing_site.account
    account.pause("PressWise refused the credentials: Invalid username, password or authorization code")
    db.session.commit()
    logged_in.post(f"/embedded-services/{account.id}/edit", data=_form(account, password="still-wrong", and_test="1"))
    answer = _answer_of_the_latest_test(logged_in, account)
    text = " ".join(answer.select_one(".connection-result").get_text().split())
    assert text.startswith("Wrong credentials.") and "resumed" not in text
    assert "authorization code. The account is paused" in text, "two sentences, not run together"
    assert account.is_paused


def test_plain_save_keeps_the_pause_and_says_how_to_lift_it(logged_in, pushing_site):
    account = pushing_site.account
    account.pause("PressWise refused the credentials")
    db.session.commit()
    saved = logged_in.post(f"/embedded-services/{account.id}/edit", data=_form(account, password=PASSWORD))
    page = soup(logged_in.get(saved.headers["Location"]))
    assert "Save and test" in page.select_one(".flash-warning").get_text()
    db.session.expire_all()
    assert account.is_paused


def test_create_and_test_starts_the_test(logged_in, subscriber, presswise):
    embedded_factories.authorize(subscriber)
    db.session.commit()
    created = logged_in.post("/embedded-services/new", data={
        "partner": "presswise", "name": "Emulator", "url": presswise.url, "username": "demo",
        "password": PASSWORD, "authorization_code": AUTH_CODE, "initial_status": "New", "and_test": "1"})
    assert created.status_code == 302
    account_id = int(created.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    from portal.models import EmbeddedServicesAccount

    account = db.session.get(EmbeddedServicesAccount, account_id)
    answer = _answer_of_the_latest_test(logged_in, account)
    assert "Connection OK" in answer.select_one(".connection-result").get_text()

