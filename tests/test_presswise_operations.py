"""Every PressWise operation of the client against the running emulator, over HTTP."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from portal.partners import client_for
from portal.domain.partner_calls import NextStep
from portal.partners.base import PartnerApiError, PartnerAuthError, PushResult
from tests import factories
from tests.fixtures.presswise import sample_address, sample_item, sample_order


def test_push_order_creates_one_order_with_a_job_per_item(presswise):
    order = sample_order([sample_item(1), sample_item(2, shipping_address=sample_address(city="Leeds"))])

    result = presswise.client().push_order(order, customer_id="42", user_id="5001")

    stored = presswise.orders()
    assert len(stored) == 1
    assert result == PushResult(partner_order_id=str(stored[0]["order"]["id"]),
                                job_ids={"1": str(stored[0]["jobs"][0]["id"]), "2": str(stored[0]["jobs"][1]["id"])})
    assert stored[0]["order"]["source_order_id"] == "10001"
    assert stored[0]["order"]["customer_id"] == "42"
    assert stored[0]["order"]["user_id"] == "5001"
    assert stored[0]["order"]["status"] == "AUTO New"
    call = presswise.calls("add_purchase_order")[0]
    assert call["result_code"] == 0
    assert "<shipTo>" not in call["request_body"]


def test_the_same_order_pushed_twice_makes_two_partner_orders_like_presswise(presswise):
    client = presswise.client()
    first = client.push_order(sample_order(), customer_id="42")
    second = client.push_order(sample_order(), customer_id="42")

    assert first.partner_order_id != second.partner_order_id
    found = client.find_orders("10001")
    assert [f.partner_order_id for f in found] == [first.partner_order_id, second.partner_order_id]
    assert all(f.status == "AUTO New" and f.created_at for f in found)


def test_find_orders_answers_empty_for_an_unknown_number_and_filters_by_customer(presswise):
    client = presswise.client()
    client.push_order(sample_order(number="A-1"), customer_id="42")
    assert client.find_orders("A-2") == []
    assert client.find_orders("A-1", customer_id="43") == []
    assert len(client.find_orders("A-1", customer_id="42")) == 1


def test_order_status_brings_jobs_and_shipments(presswise):
    client = presswise.client()
    pushed = client.push_order(sample_order([sample_item(1), sample_item(2)]), customer_id="42")
    presswise.set_order_status(pushed.partner_order_id, "Production")
    presswise.set_job_status(pushed.job_ids["2"], "Shipped")
    presswise.add_shipment(pushed.partner_order_id, source_job_id="2", ship_date="2026-11-04", method="UPS Ground",
                           carrier="UPS", tracking_number="1Z999AA10123456784", cost="12.40")
    presswise.add_shipment(pushed.partner_order_id, source_job_id="", ship_date="", cost="")

    status = client.get_order_status(pushed.partner_order_id)

    assert status.partner_order_id == pushed.partner_order_id
    assert status.status == "Production"
    assert status.last_modified
    assert [(j.partner_job_id, j.source_job_id, j.status) for j in status.jobs] == [
        (pushed.job_ids["1"], "1", ""), (pushed.job_ids["2"], "2", "Shipped")]
    first, whole_order = status.shipments
    assert (first.source_job_id, first.ship_date, first.method, first.carrier, first.tracking_number, first.cost) == (
        "2", date(2026, 11, 4), "UPS Ground", "UPS", "1Z999AA10123456784", Decimal("12.40"))
    assert (whole_order.source_job_id, whole_order.ship_date, whole_order.cost) == ("", None, Decimal("0.00"))


def test_status_of_an_unknown_order_is_a_not_found_api_error(presswise):
    with pytest.raises(PartnerApiError) as caught:
        presswise.client().get_order_status("999999")
    assert caught.value.code == 3
    assert caught.value.next_step is NextStep.STOP


def test_create_user_then_adopt_the_existing_login(presswise):
    client = presswise.client()
    site_user = SimpleNamespace(email="buyer@example.com", address=sample_address())

    created = client.create_user(site_user, customer_id="42")
    again = client.create_user(site_user, customer_id="42")
    other_customer = client.create_user(site_user, customer_id="43")

    assert not created.adopted and created.partner_user_id.isdigit()
    assert again.adopted and again.partner_user_id == created.partner_user_id
    assert not other_customer.adopted and other_customer.partner_user_id != created.partner_user_id
    assert [u["login_id"] for u in presswise.users()] == ["buyer@example.com", "buyer@example.com"]


def test_test_connection_passes_with_the_demo_account_and_fails_with_a_wrong_code(presswise):
    presswise.client().test_connection()
    with pytest.raises(PartnerAuthError) as caught:
        presswise.client(account=presswise.account_with(authorization_code="WRONG-CODE")).test_connection()
    assert "WRONG-CODE" not in str(caught.value) and "demo-secret" not in str(caught.value)
    assert [c["result_code"] for c in presswise.calls()] == [0, 1]


def test_wrong_password_on_push_is_an_auth_error_and_stores_nothing(presswise):
    client = presswise.client(account=presswise.account_with(password="not-it"))
    with pytest.raises(PartnerAuthError):
        client.push_order(sample_order(), customer_id="42")
    assert presswise.orders() == []


def test_orm_order_pushes_through_client_for(app, presswise):
    order = factories.order(items=2, paid=True, notes="Fragile & urgent")
    client = client_for("presswise", presswise.account)

    result = client.push_order(order, customer_id="42")

    assert client_for("presswise", presswise.account) is client  # one client, one connection pool per account
    assert set(result.job_ids) == {"1", "2"}
    stored = presswise.orders()[0]
    assert stored["order"]["source_order_id"] == order.number
    assert "Fragile &amp; urgent" in presswise.calls()[0]["request_body"]


def test_pricing_in_notes_reaches_presswise_when_the_account_asks(presswise):
    client = presswise.client(account=presswise.account_with(send_pricing_in_notes=True))
    client.push_order(sample_order(notes="Hi"), customer_id="42")
    data = json.loads(presswise.orders()[0]["order"]["data"])
    assert data["comments"].startswith("Hi\n\nPricing:\nItem 1: Business cards, quantity 500, price 49.50")
