"""Stored secrets are only ever sent to the server they were entered for.

Otherwise anyone who can edit an account could point its URL at their own server, keep the
stored password ("blank keeps it"), press Test connection and read the secrets off the wire.
"""

from __future__ import annotations

import pytest

from portal.extensions import db
from tests import embedded_factories
from tests.conftest import soup

STORED_URL = "http://127.0.0.1:8081/r/wsdl-order2.php"


@pytest.fixture
def account(logged_in, subscriber):
    embedded_factories.authorize(subscriber)
    account = embedded_factories.account(subscriber, url=STORED_URL, password="stored-pw", authorization_code="stored-code")
    db.session.commit()
    return account


def edit(client, account, url, password="", code=""):
    return client.post(f"/embedded-services/{account.id}/edit", data={
        "partner": "presswise", "name": account.name, "url": url, "username": account.username,
        "password": password, "authorization_code": code, "initial_status": "New",
        "url_confirmed": "y"})  # a path other than PressWise's is asked about first (test_form_errors_in_the_page)


@pytest.mark.parametrize("url", [
    "http://localhost:8081/r/wsdl-order2.php",      # another host name
    "http://127.0.0.1:8082/r/wsdl-order2.php",      # another port
    "https://127.0.0.1:8081/r/wsdl-order2.php",     # another scheme
])
def test_another_server_requires_both_secrets_again(logged_in, account, url):
    response = edit(logged_in, account, url)
    assert response.status_code == 422
    errors = {p.get("id"): p.text for p in soup(response).select(".error")}
    assert "another server" in errors["password-error"]
    assert "another server" in errors["authorization_code-error"]
    db.session.expire_all()
    assert account.url == STORED_URL


def test_one_secret_is_not_enough(logged_in, account):
    response = edit(logged_in, account, "http://localhost:8081/r/wsdl-order2.php", password="new-pw")
    assert response.status_code == 422
    db.session.expire_all()
    assert (account.url, account.password) == (STORED_URL, "stored-pw")


def test_another_server_with_new_secrets_is_saved(logged_in, account):
    response = edit(logged_in, account, "http://localhost:8082/r/wsdl-order2.php", password="new-pw", code="new-code")
    assert response.status_code == 302
    db.session.expire_all()
    assert (account.url, account.password, account.authorization_code) == (
        "http://localhost:8082/r/wsdl-order2.php", "new-pw", "new-code")


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8081/other/path.php",          # same server, another path
    "HTTP://127.0.0.1:8081/r/wsdl-order2.php",       # the same origin spelled differently
])
def test_same_server_keeps_the_stored_secrets(logged_in, account, url):
    assert edit(logged_in, account, url).status_code == 302
    db.session.expire_all()
    assert (account.password, account.authorization_code) == ("stored-pw", "stored-code")


def test_default_port_is_the_same_server(logged_in, subscriber):
    embedded_factories.authorize(subscriber)
    account = embedded_factories.account(subscriber, url="http://localhost/r/wsdl-order2.php")
    db.session.commit()
    assert edit(logged_in, account, "http://localhost:80/r/wsdl-order2.php").status_code == 302
