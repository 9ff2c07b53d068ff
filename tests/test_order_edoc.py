"""Marking an eDocBuilder file ready: the last hold clears, wrong items get a clear error, tenants."""

import pytest
from bs4 import BeautifulSoup

from portal.extensions import db
from portal.models import OrderItem
from tests import embedded_factories, factories
from tests.conftest import soup


@pytest.fixture
def order(subscriber):
    order = factories.order(factories.site(subscriber), number="63001", paid=True,
                            items=[{"is_edoc": True}, {}])
    db.session.commit()
    return order


def url(order, item):
    return f"/orders/{order.id}/items/{item.id}/edoc-ready"


def state_of(item):
    db.session.expire_all()
    return db.session.get(OrderItem, item.id).edoc_file_state


def test_mark_file_ready_with_htmx_clears_the_last_hold(logged_in, order):
    embedded_factories.pushing_account(order.site)
    db.session.commit()
    item = order.items[0]
    response = logged_in.htmx("POST", url(order, item))
    assert response.status_code == 200
    page = soup(response)
    body = page.select_one(f"tbody#item-{item.id}")
    assert body.select_one(".edoc .badge").text == "File ready"
    assert body.select_one("form.item-edoc") is None
    assert "marked ready" in body.select_one(".item-message").text
    out_of_band = BeautifulSoup(page.select_one("template").decode_contents(), "html.parser")
    rules = out_of_band.select_one("#integration-rules")
    assert rules["hx-swap-oob"] == "true" and "Rules met" in rules.text
    assert state_of(item) == "ready"
    assert embedded_factories.queued_pushes(order) == 1, "it became eligible: queued for the account"


def test_mark_file_ready_without_javascript(logged_in, order):
    item = order.items[0]
    response = logged_in.post(url(order, item))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"#item-{item.id}")
    page = soup(logged_in.get(response.headers["Location"]))
    assert "marked ready" in page.select_one(".flash-success").text
    assert page.select_one(f"#item-{item.id} .edoc .badge").text == "File ready"


def test_plain_item_gets_a_clear_error(logged_in, order):
    item = order.items[1]
    for send in (logged_in.post, lambda u: logged_in.htmx("POST", u)):
        response = send(url(order, item))
        assert response.status_code == 409
        assert "not an eDocBuilder item" in soup(response).select_one(f"#item-{item.id} .item-error").text
    assert state_of(item) is None


def test_ready_file_gets_a_clear_error(logged_in, order):
    item = order.items[0]
    logged_in.post(url(order, item))
    response = logged_in.htmx("POST", url(order, item))
    assert response.status_code == 409
    assert "already ready" in soup(response).select_one(".item-error").text


def test_edoc_ready_requires_csrf(logged_in, order):
    assert logged_in.post(url(order, order.items[0]), csrf=False).status_code == 400
    assert state_of(order.items[0]) == "pending"


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_only_post_is_accepted(logged_in, order, method):
    assert logged_in.open(url(order, order.items[0]), method=method.upper()).status_code == 405


def test_item_of_another_order_of_the_same_tenant_is_404(logged_in, order):
    sibling = factories.order(order.site, items=[{"is_edoc": True}])
    db.session.commit()
    assert logged_in.post(url(order, sibling.items[0])).status_code == 404
    assert state_of(sibling.items[0]) == "pending"


def test_another_tenants_ids_are_404(logged_in, order, other_tenant):
    other_order, other_item = other_tenant["order"], other_tenant["item"]
    other_item.is_edoc, other_item.edoc_file_state = True, "pending"
    db.session.commit()
    for order_id, item_id in [(other_order.id, other_item.id), (order.id, other_item.id), (other_order.id, order.items[0].id)]:
        assert logged_in.post(f"/orders/{order_id}/items/{item_id}/edoc-ready").status_code == 404
        assert logged_in.htmx("POST", f"/orders/{order_id}/items/{item_id}/edoc-ready").status_code == 404
    assert state_of(other_item) == "pending" and state_of(order.items[0]) == "pending"
