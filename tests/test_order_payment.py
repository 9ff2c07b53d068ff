"""Recording a payment: success with and without HTMX, field errors, already paid, CSRF, tenants."""

import pytest

from portal.extensions import db
from portal.models import Order
from tests import embedded_factories, factories
from tests.conftest import soup


@pytest.fixture
def order(subscriber):
    order = factories.order(factories.site(subscriber), number="61001", paid=False)
    db.session.commit()
    return order


def reload(order):
    db.session.expire_all()
    return db.session.get(Order, order.id)


def test_mark_paid_without_javascript_redirects_with_a_message(logged_in, order):
    embedded_factories.pushing_account(order.site)
    db.session.commit()
    response = logged_in.post(f"/orders/{order.id}/payment", data={"method": "check", "reference": " CHK-1001 "})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/orders/{order.id}#payment")
    saved = reload(order)
    assert (saved.payment_status, saved.payment_method, saved.payment_reference) == ("paid", "check", "CHK-1001")
    assert saved.paid_at is not None
    page = soup(logged_in.get(response.headers["Location"]))
    assert "Payment recorded for order 61001." in page.select_one(".flash-success").text
    assert page.select_one("#payment .payment-status").text.strip() == "Paid"
    assert "Rules met" in page.select_one("#integration-rules").text
    assert embedded_factories.queued_pushes(order) == 1, "it became eligible: queued for the account"


def test_mark_paid_with_htmx_returns_the_panel_and_refreshes_the_rules(logged_in, order):
    response = logged_in.htmx("POST", f"/orders/{order.id}/payment", data={"method": "bank_transfer"})
    assert response.status_code == 200
    page = soup(response)
    assert page.find("html") is None
    panel = page.select_one("section#payment")
    assert panel.get("hx-swap-oob") is None
    assert panel.select_one(".payment-status").text.strip() == "Paid"
    assert panel.select_one(".payment-method").text.strip() == "Bank transfer"
    assert "Payment recorded" in panel.select_one(".flash-success").text
    assert panel.select_one("form") is None
    rules = page.select_one("section#integration-rules")
    assert rules["hx-swap-oob"] == "true" and "Rules met" in rules.text
    assert page.select_one("#order-badges")["hx-swap-oob"] == "true"
    assert reload(order).is_paid


def test_marking_an_order_on_open_terms_paid(logged_in, subscriber):
    order = factories.order(factories.site(subscriber), payment_method="open_terms")
    embedded_factories.pushing_account(order.site)
    db.session.commit()
    response = logged_in.post(f"/orders/{order.id}/payment", data={"method": "check"})
    assert response.status_code == 302
    assert reload(order).payment_status == "paid"
    assert embedded_factories.queued_pushes(order) == 0, "open terms was eligible already: no new event"


def test_paying_with_a_pending_item_keeps_the_approval_hold(logged_in, subscriber):
    order = factories.order(factories.site(subscriber), items=[{"approval": "pending"}])
    db.session.commit()
    page = soup(logged_in.htmx("POST", f"/orders/{order.id}/payment", data={"method": "check"}))
    holds = [li.text.strip() for li in page.select("#integration-rules li.hold")]
    assert holds == ["Item #1 is awaiting approval."]


def test_already_paid_is_a_form_error(logged_in, subscriber):
    order = factories.order(factories.site(subscriber), paid=True, payment_reference="FIRST")
    db.session.commit()
    response = logged_in.htmx("POST", f"/orders/{order.id}/payment", data={"method": "check", "reference": "SECOND"})
    assert response.status_code == 422
    assert "already paid" in soup(response).select_one("#payment .form-error").text
    assert reload(order).payment_reference == "FIRST"

    full = logged_in.post(f"/orders/{order.id}/payment", data={"method": "check"})
    assert full.status_code == 422
    assert soup(full).select_one("h1").text.strip().startswith("Order")
    assert "already paid" in soup(full).select_one("#payment .form-error").text


@pytest.mark.parametrize(
    "data, field",
    [
        ({"method": "bitcoin"}, "method"),
        ({"method": "open_terms"}, "method"),
        ({"method": ""}, "method"),
        ({}, "method"),
        ({"method": "check", "reference": "x" * 81}, "reference"),
    ],
)
def test_bad_input_gets_field_errors(logged_in, order, data, field):
    for send in (logged_in.post, lambda url, **kw: logged_in.htmx("POST", url, **kw)):
        response = send(f"/orders/{order.id}/payment", data=data)
        assert response.status_code == 422
        form = soup(response).select_one("#payment form.record-payment")
        assert form.select_one(f".has-error [name={field}]"), response.text
        assert form.select_one(".error").text.strip()
    saved = reload(order)
    assert saved.payment_status == "unpaid" and saved.paid_at is None


def test_bad_input_keeps_what_was_typed(logged_in, order):
    response = logged_in.post(f"/orders/{order.id}/payment", data={"method": "check", "reference": "y" * 90})
    form = soup(response).select_one("form.record-payment")
    assert form.select_one("select[name=method] option[selected]")["value"] == "check"
    assert form.select_one("input[name=reference]")["value"] == "y" * 90


def test_payment_requires_csrf(logged_in, order):
    response = logged_in.post(f"/orders/{order.id}/payment", data={"method": "check"}, csrf=False)
    assert response.status_code == 400
    assert not reload(order).is_paid


def test_payment_route_is_post_only(logged_in, order):
    assert logged_in.get(f"/orders/{order.id}/payment").status_code == 405


def test_another_tenants_order_is_404(logged_in, other_tenant):
    other = other_tenant["order"]
    for send in (logged_in.post, lambda url, **kw: logged_in.htmx("POST", url, **kw)):
        assert send(f"/orders/{other.id}/payment", data={"method": "check"}).status_code == 404
    assert not reload(other).is_paid


def test_signed_out_visitor_cannot_pay(client, order):
    response = client.post(f"/orders/{order.id}/payment", data={"method": "check"})
    assert response.status_code == 302
    assert not reload(order).is_paid


def _payment_form(response):
    return soup(response).select_one("#payment form.record-payment")


def test_the_form_starts_with_the_method_and_reference_the_order_has(logged_in, subscriber):
    order = factories.order(factories.site(subscriber), payment_method="credit_card", payment_reference="AUTH-778")
    db.session.commit()
    form = _payment_form(logged_in.get(f"/orders/{order.id}"))
    assert form.select_one("select[name=method] option[selected]")["value"] == "credit_card"
    assert form.select_one("input[name=reference]")["value"] == "AUTH-778"


def test_open_terms_is_not_offered_as_a_way_the_customer_paid(logged_in, subscriber):
    order = factories.order(factories.site(subscriber), payment_method="open_terms", payment_reference="PO-5")
    db.session.commit()
    form = _payment_form(logged_in.get(f"/orders/{order.id}"))
    values = [option["value"] for option in form.select("select[name=method] option")]
    assert values == ["", "credit_card", "check", "bank_transfer"]
    assert form.select_one("select[name=method] option[selected]") is None  # the admin says how it was paid
    assert form.select_one("input[name=reference]")["value"] == "PO-5"


def test_paying_with_the_prefilled_reference_keeps_it(logged_in, subscriber):
    order = factories.order(factories.site(subscriber), payment_method="credit_card", payment_reference="AUTH-778")
    db.session.commit()
    form = _payment_form(logged_in.get(f"/orders/{order.id}"))
    data = {"method": "credit_card", "reference": form.select_one("input[name=reference]")["value"]}
    assert logged_in.post(f"/orders/{order.id}/payment", data=data).status_code == 302
    assert (reload(order).payment_status, reload(order).payment_reference) == ("paid", "AUTH-778")


def test_a_post_without_a_reference_field_keeps_the_stored_one(logged_in, subscriber):
    order = factories.order(factories.site(subscriber), payment_reference="AUTH-778")
    db.session.commit()
    assert logged_in.htmx("POST", f"/orders/{order.id}/payment", data={"method": "check"}).status_code == 200
    assert reload(order).payment_reference == "AUTH-778"


def test_a_changed_reference_replaces_the_stored_one(logged_in, subscriber):
    order = factories.order(factories.site(subscriber), payment_reference="AUTH-778")
    db.session.commit()
    logged_in.post(f"/orders/{order.id}/payment", data={"method": "check", "reference": "CHK-1002"})
    assert reload(order).payment_reference == "CHK-1002"


def test_recording_open_terms_as_the_payment_is_a_field_error(logged_in, subscriber):
    order = factories.order(factories.site(subscriber), payment_method="open_terms")
    db.session.commit()
    response = logged_in.post(f"/orders/{order.id}/payment", data={"method": "open_terms"})
    assert response.status_code == 422
    error = _payment_form(response).select_one(".has-error #method-error").text
    assert "Open terms is not a payment" in error
    assert reload(order).payment_status == "unpaid"
