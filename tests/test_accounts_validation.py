"""Every bad input on the account form is a field message (422), never a 500.

Production rules (https only, no internal hosts unless allow-listed) are checked both
on the plain validator and through an app built with production-like overrides.
"""

from __future__ import annotations

import re
import socket

import pytest
from sqlalchemy import func, select

from portal.domain.partner_urls import PartnerUrlError, PartnerUrlRules, validate_partner_url
from portal.extensions import db
from portal.domain.partner_calls import AddressRefused
from portal.models import EmbeddedServicesAccount
from tests import embedded_factories
from tests.conftest import soup

DEV = PartnerUrlRules(require_https=False, allowed_hosts=("127.0.0.1", "localhost"))
PRODUCTION = PartnerUrlRules(require_https=True, allowed_hosts=())


def resolves_to(*addresses):
    def resolve(host, port, **_kwargs):
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in addresses]
    return resolve


def does_not_resolve(host, port, **_kwargs):
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


VALID = {
    "partner": "presswise",
    "name": "PressWise production",
    "url": "http://127.0.0.1:8080/r/wsdl-order2.php",
    "username": "printco",
    "password": "s3cret-pass",
    "authorization_code": "AUTH-123",
    "initial_status": "New",
}


@pytest.fixture
def authorized(logged_in, subscriber):
    embedded_factories.authorize(subscriber)
    db.session.commit()
    return logged_in


def _post(client, path="/embedded-services/new", **changes):
    data = {**VALID, **changes}
    return client.post(path, data={k: v for k, v in data.items() if v is not None})


def _error_of(response, field_id):
    errors = soup(response).select(f"#{field_id}-error")
    return " ".join(e.get_text(" ", strip=True) for e in errors)


def _account_count():
    return db.session.scalar(select(func.count()).select_from(EmbeddedServicesAccount))


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("name", "", "Enter a name"),
        ("name", "   ", "Enter a name"),
        ("name", "n" * 121, "120"),
        ("url", "", "Enter the PressWise URL"),
        ("url", "ftp://127.0.0.1/wsdl", "must start with https://"),
        ("url", "javascript:alert(1)", "must start with https://"),
        ("url", "http://", "must name a host"),
        ("url", "https:///path-only", "must name a host"),
        ("url", "http://127.0.0.1:99999/x", "not a valid URL"),
        ("url", "http://user:pw@127.0.0.1/x", "not in the URL"),
        ("url", "http://127.0.0.1/a b", "spaces"),
        ("url", "http://127.0.0.1/" + "a" * 500, "500"),
        ("url", "http://10.1.2.3/wsdl", "internal address"),
        ("url", "http://169.254.169.254/latest/meta-data", "internal address"),
        ("url", "http://[::1]:8080/wsdl", "internal address"),
        ("username", "", "Enter the PressWise username"),
        ("username", "u" * 121, "120"),
        ("password", "", "Enter the PressWise password"),
        ("password", "p" * 201, "200"),
        ("password", "pass\x01word", "control character"),
        ("password", "pass\tword", "control character"),
        ("authorization_code", "", "Enter the PressWise authorization code"),
        ("authorization_code", "c" * 201, "200"),
        ("authorization_code", "CODE\n", "control character"),
        ("partner", "sap", "Choose a partner from the list"),
        ("initial_status", "Shipped", "Choose New: it is the only initial status today"),
    ],
)
def test_each_bad_field_gets_its_own_message(authorized, field, value, message):
    response = _post(authorized, **{field: value})
    assert response.status_code == 422
    assert message in _error_of(response, field), soup(response).select(".error")
    assert _account_count() == 0


def test_duplicate_name_is_a_field_error_but_other_tenants_may_use_it(authorized, subscriber, other_tenant):
    embedded_factories.account(other_tenant["subscriber"], name="PressWise production")
    db.session.commit()
    assert _post(authorized).status_code == 302, "another subscriber's name does not block ours"
    response = _post(authorized)
    assert response.status_code == 422
    assert "already has this name" in _error_of(response, "name")


def test_secrets_may_be_blank_on_edit_but_not_too_long(authorized, subscriber):
    account = embedded_factories.account(subscriber, name="Prod")
    db.session.commit()
    path = f"/embedded-services/{account.id}/edit"
    same_server = {"name": "Prod", "url": account.url}
    assert _post(authorized, path, **same_server, password="", authorization_code="").status_code == 302
    response = _post(authorized, path, **same_server, password="p" * 201)
    assert response.status_code == 422 and "200" in _error_of(response, "password")


def test_missing_csrf_token_is_refused_without_a_500(authorized):
    response = authorized.post("/embedded-services/new", data=VALID, csrf=False)
    assert response.status_code == 400
    assert _account_count() == 0


def test_a_valid_form_creates_the_account(authorized, subscriber):
    response = _post(authorized)
    assert response.status_code == 302
    account = db.session.scalars(select(EmbeddedServicesAccount)).one()
    assert (account.subscriber_id, account.url, account.initial_status) == (
        subscriber.id, VALID["url"], "New")


# --- the plain validator: dev and production rules -----------------------------------

def test_dev_allows_the_emulator_on_loopback():
    assert validate_partner_url(" http://127.0.0.1:8765/r/wsdl-order2.php ", DEV) == "http://127.0.0.1:8765/r/wsdl-order2.php"
    assert validate_partner_url("http://localhost:8765/x", DEV, resolve=resolves_to("127.0.0.1"))


def test_production_refuses_plain_http():
    with pytest.raises(PartnerUrlError, match="https"):
        validate_partner_url("http://mis.example.com/wsdl", PRODUCTION, resolve=resolves_to("93.184.216.34"))


def test_production_accepts_https_to_a_public_address():
    url = "https://mis.example.com/r/wsdl-order2.php"
    assert validate_partner_url(url, PRODUCTION, resolve=resolves_to("93.184.216.34")) == url


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.0.0.7", "172.16.5.4", "192.168.1.10", "169.254.169.254", "0.0.0.0", "::1", "fe80::1",
     "fc00::5", "::ffff:127.0.0.1", "100.64.0.1"],
)
def test_production_refuses_hosts_that_resolve_to_internal_addresses(address):
    with pytest.raises(PartnerUrlError, match="internal address"):
        validate_partner_url("https://mis.example.com/wsdl", PRODUCTION, resolve=resolves_to(address))


def test_one_internal_address_among_public_ones_is_enough_to_refuse():
    with pytest.raises(PartnerUrlError, match="internal address"):
        validate_partner_url("https://mis.example.com/", PRODUCTION, resolve=resolves_to("93.184.216.34", "10.0.0.1"))


def test_the_allow_list_lets_a_named_internal_host_through():
    rules = PartnerUrlRules(require_https=True, allowed_hosts=("mis.internal.example",))
    url = "https://MIS.internal.example./wsdl"
    assert validate_partner_url(url, rules, resolve=resolves_to("10.0.0.7")) == url
    with pytest.raises(PartnerUrlError, match="internal address"):
        validate_partner_url("https://other.internal.example/wsdl", rules, resolve=resolves_to("10.0.0.7"))


def test_a_host_that_does_not_resolve_is_refused():
    with pytest.raises(PartnerUrlError, match="cannot be found"):
        validate_partner_url("https://no-such-host.invalid/wsdl", PRODUCTION, resolve=does_not_resolve)


# --- the same rules at connection time (the client's address guard) ---------------------

@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.0.0.7", "169.254.169.254", "0.0.0.0", "::1", "fe80::1%eth0", "::ffff:127.0.0.1", "100.64.0.1",
     "not-an-address"],
)
def test_the_guard_refuses_a_connection_to_an_internal_address(address):
    with pytest.raises(AddressRefused, match=f"will not connect to {re.escape(address)} for mis.example.com"):
        PRODUCTION.guard()("mis.example.com", address)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700:4700::1111"])
def test_the_guard_lets_a_connection_to_a_public_address_through(address):
    assert PRODUCTION.guard()("mis.example.com", address) is None


def test_the_guard_lets_an_allow_listed_host_reach_any_address():
    guard = PartnerUrlRules(require_https=True, allowed_hosts=("MIS.internal.example.", "[::1]")).guard()
    guard("mis.internal.example", "10.0.0.7")
    guard("::1", "::1")
    with pytest.raises(AddressRefused):
        guard("other.internal.example", "10.0.0.7")


def test_equal_rules_give_equal_guards_and_a_changed_allow_list_a_different_one():
    assert DEV.guard() == PartnerUrlRules(require_https=True, allowed_hosts=("LOCALHOST", "127.0.0.1")).guard()
    assert hash(DEV.guard()) == hash(PartnerUrlRules(require_https=False, allowed_hosts=DEV.allowed_hosts).guard())
    assert DEV.guard() != PRODUCTION.guard()


# --- production rules through the web form --------------------------------------------

@pytest.fixture
def production_like(app):
    app.config.update(PARTNER_URL_REQUIRE_HTTPS=True, PARTNER_URL_ALLOWED_HOSTS=[])
    yield app


@pytest.mark.parametrize(
    "url, message",
    [
        ("http://127.0.0.1:8765/r/wsdl-order2.php", "must use https://"),
        ("https://127.0.0.1:8765/r/wsdl-order2.php", "internal address"),
        ("https://localhost:8765/r/wsdl-order2.php", "internal address"),
        ("https://192.168.0.20/r/wsdl-order2.php", "internal address"),
    ],
)
def test_production_rules_are_field_errors_on_the_form(production_like, authorized, url, message):
    response = _post(authorized, url=url)
    assert response.status_code == 422
    assert message in _error_of(response, "url")
    assert _account_count() == 0


def test_production_allow_list_from_the_configuration(production_like, authorized):
    production_like.config["PARTNER_URL_ALLOWED_HOSTS"] = ["127.0.0.1"]
    assert _post(authorized, url="https://127.0.0.1:8765/r/wsdl-order2.php").status_code == 302


@pytest.mark.parametrize("field", ["name", "url", "username"])
def test_control_characters_are_dropped_not_a_500(authorized, field):
    value = {"name": "Pro\x00duction", "url": "http://127.0.0.1:8081/r/wsdl\x00-order2.php", "username": "print\x00co"}[field]
    response = _post(authorized, **{field: value})
    assert response.status_code == 302
    account = db.session.scalars(select(EmbeddedServicesAccount)).one()
    assert "\x00" not in getattr(account, field)
