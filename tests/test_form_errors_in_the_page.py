"""Errors in the page, in words, with nothing lost.

Every rule a field has is checked on the server and said next to the field (the input points at
the message) and in an error summary at the top that links to the field by its label; the
browser's own validation bubbles are off (``novalidate``), so they cannot stand in for it.
After an error, the secret fields that were typed (never echoed back) say to type them again.
A URL whose path is not PressWise's SOAP endpoint is questioned before it is saved.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import EmbeddedServicesAccount
from tests import embedded_factories, factories
from tests.conftest import soup
from tests.fixtures.browser import log_in

ACCOUNT = {
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


def assert_error_in_the_page(page, field_id: str, label: str, words: str) -> None:
    """The message is next to the field, the input points at it, and the summary links to it by label."""
    field = page.select_one(f"#{field_id}")
    assert field is not None, field_id
    container = field.find_parent(class_="field")
    message = container.select_one(".error")
    assert message is not None and words in message.get_text(" "), (field_id, container)
    assert message["id"] in field.get("aria-describedby", "").split()
    summary = page.select_one("[data-error-summary]")
    assert summary is not None and summary.get("tabindex") == "-1" and summary.get("role") == "alert"
    link = summary.select_one(f'a[href="#{field_id}"]')
    assert link is not None and link.get_text(strip=True) == label, summary
    assert words in link.parent.get_text(" ")


@pytest.mark.parametrize("field, value, label, words", [
    ("name", "", "Name", "Enter a name for this account."),
    ("name", "n" * 121, "Name", "The name can be at most 120 characters."),
    ("url", "", "PressWise URL", "Enter the PressWise URL."),
    ("url", "ftp://127.0.0.1/r/wsdl-order2.php", "PressWise URL", "must start with https://"),
    ("url", "http://10.1.2.3/r/wsdl-order2.php", "PressWise URL", "internal address"),
    ("url", "http://127.0.0.1:8080/", "PressWise URL", "PressWise URLs end in /r/wsdl-order2.php"),
    ("username", "", "Username", "Enter the PressWise username."),
    ("username", "u" * 121, "Username", "The username can be at most 120 characters."),
    ("password", "", "Password", "Enter the PressWise password."),
    ("password", "p" * 201, "Password", "The password can be at most 200 characters."),
    ("authorization_code", "", "Authorization code", "Enter the PressWise authorization code."),
    ("authorization_code", "c" * 201, "Authorization code", "The authorization code can be at most 200 characters."),
    ("partner", "sap", "Partner", "Choose a partner from the list."),
    ("initial_status", "Shipped", "Initial status", "Choose New"),
])
def test_account_form_rules_are_checked_on_the_server_and_named(authorized, field, value, label, words):
    response = authorized.post("/embedded-services/new", data={**ACCOUNT, field: value})
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("form.account-form").has_attr("novalidate")
    assert_error_in_the_page(page, field, label, words)
    assert db.session.scalar(select(func.count()).select_from(EmbeddedServicesAccount)) == 0


def test_after_an_error_the_form_says_which_secrets_to_type_again(authorized):
    response = authorized.post("/embedded-services/new", data={**ACCOUNT, "name": ""})
    page = soup(response)
    text = response.get_data(as_text=True)
    assert ACCOUNT["password"] not in text and ACCOUNT["authorization_code"] not in text, "never echoed"
    for field_id, label in (("password", "Password"), ("authorization_code", "Authorization code")):
        field = page.select_one(f"#{field_id}")
        assert field.get("value", "") == ""
        note = field.find_parent(class_="field").select_one(".retype")
        assert note is not None and f"Type the {label.lower()} again" in note.get_text()
        assert note["id"] in field["aria-describedby"].split()
        item = page.select_one(f'[data-error-summary] li.retype a[href="#{field_id}"]')
        assert item is not None and item.get_text(strip=True) == label
    assert page.select_one("#username")["value"] == ACCOUNT["username"], "what may be echoed is kept"


def test_a_blank_secret_on_edit_is_not_flagged(authorized, subscriber):
    """Blank on edit keeps the stored value: nothing was typed, nothing to type again."""
    account = embedded_factories.account(subscriber, name="Prod")
    db.session.commit()
    response = authorized.post(f"/embedded-services/{account.id}/edit",
                               data={**ACCOUNT, "url": account.url, "name": "", "password": "", "authorization_code": ""})
    assert response.status_code == 422
    assert soup(response).select(".retype") == []


def test_a_url_without_the_soap_path_is_questioned_then_saved_when_confirmed(authorized):
    url = "http://127.0.0.1:8080/"
    first = soup(authorized.post("/embedded-services/new", data={**ACCOUNT, "url": url}))
    confirm = first.select_one("#url_confirmed")
    assert confirm is not None and confirm["type"] == "checkbox", "the question offers its answer"
    assert first.select_one("#url")["value"] == url

    second = authorized.post("/embedded-services/new", data={**ACCOUNT, "url": url, "url_confirmed": "y"})
    assert second.status_code == 302
    account = db.session.scalars(select(EmbeddedServicesAccount)).one()
    assert account.url == url

    # Saved once, it is not asked about again on every edit.
    again = authorized.post(f"/embedded-services/{account.id}/edit", data={**ACCOUNT, "url": url})
    assert again.status_code == 302


def test_the_normal_soap_url_is_not_questioned(authorized):
    response = authorized.post("/embedded-services/new", data=ACCOUNT)
    assert response.status_code == 302


@pytest.fixture
def site_tab(authorized, subscriber):
    site = factories.site(subscriber, name="Main store")
    account = embedded_factories.account(subscriber, name="PressWise A")
    db.session.commit()
    return {"client": authorized, "site": site, "account": account, "url": f"/embedded-services/sites/{site.id}"}


@pytest.mark.parametrize("value, words", [
    ("", "Enter the PressWise customer ID for this site."),
    ("abc", "The customer ID is digits only, as PressWise shows it under Customers"),
    ("1" * 21, "The customer ID can be at most 20 digits."),
])
def test_customer_id_rules_on_the_attach_form(site_tab, value, words):
    account = site_tab["account"]
    response = site_tab["client"].htmx("post", f"{site_tab['url']}/attach",
                                       data={"account_id": account.id, "customer_id": value})
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one(f"#available-account-{account.id} form.attach-form").has_attr("novalidate")
    field_id = f"customer-id-{account.id}"
    message = page.select_one(f"#{field_id}-error")
    assert message is not None and words in message.get_text()
    assert page.select_one(f"#{field_id}")["aria-describedby"] == f"{field_id}-error"
    link = page.select_one(f'[data-error-summary] a[href="#{field_id}"]')
    assert link is not None and link.get_text(strip=True) == "PressWise customer ID"


@pytest.mark.parametrize("value, words", [
    ("", "Enter the PressWise customer ID for this site."),
    ("abc", "digits only, as PressWise shows it under Customers"),
    ("1" * 21, "at most 20 digits"),
])
def test_customer_id_rules_on_the_site_link_form(site_tab, value, words):
    link = embedded_factories.site_link(site_tab["account"], site_tab["site"])
    db.session.commit()
    response = site_tab["client"].htmx("post", f"{site_tab['url']}/links/{link.id}", data={"customer_id": value})
    assert response.status_code == 422
    assert_error_in_the_page(soup(response), f"customer-id-link-{link.id}", "PressWise customer ID", words)


@pytest.fixture
def unpaid_order(subscriber):
    order = factories.order(factories.site(subscriber), number="81001", paid=False)
    db.session.commit()
    return order


@pytest.mark.parametrize("data, field, label, words", [
    ({"method": ""}, "method", "Payment method", "Choose a payment method."),
    ({"method": "check", "reference": "r" * 200}, "reference", "Reference", "at most"),
])
def test_payment_rules_on_the_server(logged_in, unpaid_order, data, field, label, words):
    response = logged_in.htmx("post", f"/orders/{unpaid_order.id}/payment", data=data)
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("form.record-payment").has_attr("novalidate")
    assert_error_in_the_page(page, field, label, words)


@pytest.mark.parametrize("data, field, label, words", [
    ({"email": "", "password": "x"}, "email", "E-mail", "Enter your e-mail address."),
    ({"email": "not-an-address", "password": "x"}, "email", "E-mail", "Enter an e-mail address like name@example.com."),
    ({"email": "someone@example.com", "password": ""}, "password", "Password", "Enter your password."),
])
def test_sign_in_rules_on_the_server(client, data, field, label, words):
    response = client.post("/auth/login", data=data)
    assert_error_in_the_page(soup(response), field, label, words)


@pytest.mark.browser
def test_after_an_error_the_focus_is_on_the_summary_and_its_links_lead_to_the_fields(page, admin, subscriber):
    embedded_factories.authorize(subscriber)
    db.session.commit()
    log_in(page, admin)
    page.goto("/embedded-services/new")
    page.get_by_label("Name", exact=True).fill("Production")
    page.get_by_label("PressWise URL").fill("http://127.0.0.1:8080/r/wsdl-order2.php")
    page.get_by_label("Username").fill("printco")
    page.get_by_label("Password", exact=True).fill("secret")
    # No authorization code: the server says so (the browser would have said "Please fill out this field").
    with page.expect_navigation():
        page.get_by_role("button", name="Create account").click()

    summary = page.locator("[data-error-summary]")
    assert summary.count() == 1
    assert page.evaluate("document.activeElement && document.activeElement.id") == "error-summary"
    assert "Authorization code" in summary.inner_text() and "Type the password again" in summary.inner_text()
    summary.get_by_role("link", name="Authorization code").click()
    assert page.evaluate("document.activeElement.id") == "authorization_code"


@pytest.mark.browser
def test_an_htmx_form_error_moves_the_focus_to_its_summary(page, admin, unpaid_order):
    log_in(page, admin)
    page.goto(f"/orders/{unpaid_order.id}")
    page.select_option("#method", "")  # no method chosen (the browser would have stopped at "required")
    page.get_by_role("button", name="Mark paid").click()
    page.locator("#payment-error-summary").wait_for()
    assert "Choose a payment method." in page.locator("#payment-error-summary").inner_text()
    page.wait_for_function("document.activeElement && document.activeElement.id === 'payment-error-summary'")
    # The field says it too, and nothing was recorded.
    assert "Choose a payment method." in page.locator("#method-error").inner_text()
    assert "Unpaid" in page.locator("#payment .payment-status").inner_text()
