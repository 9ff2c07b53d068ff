"""Approving and denying items: HTMX row swap with the rules panel, redirects, errors, CSRF, tenants."""

import pytest
from bs4 import BeautifulSoup

from portal.extensions import db
from portal.models import OrderItem
from tests import embedded_factories, factories
from tests.conftest import soup


@pytest.fixture
def order(subscriber):
    order = factories.order(factories.site(subscriber), number="62001", paid=True,
                            items=[{}, {"approval": "pending"}])
    db.session.commit()
    return order


def url(order, item):
    return f"/orders/{order.id}/items/{item.id}/approval"


def approval_of(item):
    db.session.expire_all()
    return db.session.get(OrderItem, item.id)


def test_approving_the_last_item_with_htmx(logged_in, order):
    embedded_factories.pushing_account(order.site)
    db.session.commit()
    item = order.items[1]
    response = logged_in.htmx("POST", url(order, item), data={"decision": "approve"})
    assert response.status_code == 200
    page = soup(response)
    assert page.find("html") is None
    body = page.select_one(f"tbody#item-{item.id}")
    assert body.select_one(".approval .badge").text == "Approved"
    assert "Item #2 approved." in body.select_one(".item-message").text
    assert [b["value"] for b in body.select("form.item-approval button")] == ["deny"]
    # BeautifulSoup keeps <template> content apart (no select, no text): parse it on its own.
    out_of_band = BeautifulSoup(page.select_one("template").decode_contents(), "html.parser")
    rules = out_of_band.find(id="integration-rules")
    assert rules["hx-swap-oob"] == "true" and "Rules met" in rules.text
    assert "2 of 2 approved" in out_of_band.find(id="order-badges").text
    saved = approval_of(item)
    assert saved.approval == "approved" and saved.approval_changed_at is not None
    assert embedded_factories.queued_pushes(order) == 1, "it became eligible: queued for the account"


def test_the_row_comes_first_so_the_browser_parses_it_as_table_rows(logged_in, order):
    response = logged_in.htmx("POST", url(order, order.items[1]), data={"decision": "approve"})
    assert response.get_data(as_text=True).lstrip().startswith("<tbody")


def test_denying_without_javascript_redirects_to_the_item(logged_in, order):
    embedded_factories.pushing_account(order.site)
    db.session.commit()
    item = order.items[0]
    response = logged_in.post(url(order, item), data={"decision": "deny"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/orders/{order.id}#item-{item.id}")
    page = soup(logged_in.get(response.headers["Location"]))
    assert "Item #1 denied." in page.select_one(".flash-success").text
    assert page.select_one(f"#item-{item.id} .approval .badge").text == "Denied"
    assert "Item #1 was denied." in page.select_one("#integration-rules").text
    assert approval_of(item).approval == "denied"
    assert embedded_factories.queued_pushes(order) == 0, "still held back: nothing queued"


def test_a_denied_item_can_be_approved_again(logged_in, order):
    item = order.items[0]
    logged_in.post(url(order, item), data={"decision": "deny"})
    response = logged_in.htmx("POST", url(order, item), data={"decision": "approve"})
    assert response.status_code == 200
    assert approval_of(item).approval == "approved"


@pytest.mark.parametrize("data", [{"decision": "maybe"}, {}, {"decision": ""}])
def test_unknown_decision_is_a_400_with_a_message(logged_in, order, data):
    item = order.items[1]
    response = logged_in.htmx("POST", url(order, item), data=data)
    assert response.status_code == 400
    assert "Unknown decision" in soup(response).select_one(f"#item-{item.id} .item-error").text
    full = logged_in.post(url(order, item), data=data)
    assert full.status_code == 400
    assert "Unknown decision" in soup(full).select_one(f"#item-{item.id} .item-error").text
    assert approval_of(item).approval == "pending"


def test_repeating_a_decision_is_a_409_with_a_message(logged_in, order):
    item = order.items[0]
    response = logged_in.htmx("POST", url(order, item), data={"decision": "approve"})
    assert response.status_code == 409
    assert "already approved" in soup(response).select_one(".item-error").text


def test_approval_requires_csrf(logged_in, order):
    response = logged_in.post(url(order, order.items[1]), data={"decision": "approve"}, csrf=False)
    assert response.status_code == 400
    assert approval_of(order.items[1]).approval == "pending"


def test_item_of_another_order_of_the_same_tenant_is_404(logged_in, order, subscriber):
    sibling = factories.order(order.site, items=[{"approval": "pending"}])
    db.session.commit()
    response = logged_in.post(url(order, sibling.items[0]), data={"decision": "approve"})
    assert response.status_code == 404
    assert approval_of(sibling.items[0]).approval == "pending"


def test_another_tenants_order_and_item_are_404(logged_in, order, other_tenant):
    other_order, other_item = other_tenant["order"], other_tenant["item"]
    other_item.approval = "pending"
    db.session.commit()
    for order_id, item_id in [(other_order.id, other_item.id), (order.id, other_item.id), (other_order.id, order.items[1].id)]:
        for headers in ({}, {"HX-Request": "true"}):
            response = logged_in.post(f"/orders/{order_id}/items/{item_id}/approval", data={"decision": "approve"},
                                      headers=headers)
            assert response.status_code == 404, (order_id, item_id)
    assert approval_of(other_item).approval == "pending"
    assert approval_of(order.items[1]).approval == "pending"
