"""Approving every pending item of an order at once: one POST, HTMX swap of the items with the
rules panel out of band, a redirect with a flash without JavaScript; denied items untouched."""

import pytest
from bs4 import BeautifulSoup

from portal.extensions import db
from portal.models import Order
from tests import embedded_factories, factories
from tests.conftest import soup


@pytest.fixture
def order(subscriber):
    order = factories.order(
        factories.site(subscriber), number="63001", paid=True,
        items=[{"approval": "pending"}, {"approval": "denied"}, {}, {"approval": "pending"}],
    )
    db.session.commit()
    return order


def url(order):
    return f"/orders/{order.id}/items/approve-pending"


def approvals(order):
    db.session.expire_all()
    return [item.approval for item in db.session.get(Order, order.id).items]


def test_the_button_is_offered_from_two_pending_items_up(logged_in, subscriber, order):
    form = soup(logged_in.get(f"/orders/{order.id}")).select_one("#items #approve-pending form.approve-pending")
    assert form["action"] == form["hx-post"] == url(order)
    assert form["hx-target"] == "#items" and form.select_one("input[name=csrf_token]")["value"]
    assert form.select_one("button").text == "Approve all 2 pending items"
    assert "Denied items stay denied." in form.text

    one_pending = factories.order(factories.site(subscriber), items=[{"approval": "pending"}, {}])
    db.session.commit()
    box = soup(logged_in.get(f"/orders/{one_pending.id}")).select_one("#approve-pending")
    assert box is not None and box.select_one("form") is None  # its own Approve button is the same click


def test_approving_with_htmx_swaps_the_items_and_refreshes_the_rules(logged_in, subscriber):
    order = factories.order(factories.site(subscriber), paid=True,
                            items=[{"approval": "pending"}, {}, {"approval": "pending"}])
    embedded_factories.pushing_account(order.site)
    db.session.commit()
    response = logged_in.htmx("POST", url(order))
    assert response.status_code == 200
    page = soup(response)
    assert page.find("html") is None
    items = page.select_one("section#items")
    assert items.get("hx-swap-oob") is None
    assert [badge.text for badge in items.select("td.approval .badge")] == ["Approved"] * 3
    assert "Items #1, #3 approved." in items.select_one("#approve-pending .items-message").text
    assert items.select_one("form.approve-pending") is None
    rules = page.select_one("section#integration-rules")
    assert rules["hx-swap-oob"] == "true" and "Rules met" in rules.text
    assert "3 of 3 approved" in page.select_one("#order-badges[hx-swap-oob=true]").text
    assert approvals(order) == ["approved"] * 3
    assert embedded_factories.queued_pushes(order) == 1, "it became eligible: queued for the account"


def test_denied_items_keep_their_decision(logged_in, order):
    embedded_factories.pushing_account(order.site)
    db.session.commit()
    page = soup(logged_in.htmx("POST", url(order)))
    assert approvals(order) == ["approved", "denied", "approved", "approved"]
    assert [li.text.strip() for li in page.select("#integration-rules li.hold")] == ["Item #2 was denied."]
    assert embedded_factories.queued_pushes(order) == 0, "a denied item holds it back: nothing queued"


def test_without_javascript_it_redirects_with_a_message(logged_in, order):
    response = logged_in.post(url(order))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/orders/{order.id}#items")
    page = soup(logged_in.get(response.headers["Location"]))
    assert "Items #1, #4 approved." in page.select_one(".flash-success").text
    assert approvals(order) == ["approved", "denied", "approved", "approved"]


def test_nothing_left_to_approve_is_said_in_the_items_section(logged_in, order):
    logged_in.post(url(order))
    for send in (logged_in.post, lambda u: logged_in.htmx("POST", u)):
        response = send(url(order))
        assert response.status_code == 409
        error = soup(response).select_one("section#items .items-error")
        assert "No item of order 63001 is awaiting approval." in error.text


def test_approving_one_item_refreshes_the_bulk_action_out_of_band(logged_in, order):
    first = order.items[0]
    response = logged_in.htmx("POST", f"/orders/{order.id}/items/{first.id}/approval", data={"decision": "approve"})
    out_of_band = BeautifulSoup(soup(response).select_one("template").decode_contents(), "html.parser")
    box = out_of_band.find(id="approve-pending")
    assert box["hx-swap-oob"] == "true" and box.select_one("form") is None  # one pending item left


def test_requires_csrf(logged_in, order):
    assert logged_in.post(url(order), csrf=False).status_code == 400
    assert approvals(order) == ["pending", "denied", "approved", "pending"]


def test_is_post_only(logged_in, order):
    assert logged_in.get(url(order)).status_code == 405


def test_another_tenants_order_is_404(logged_in, other_tenant):
    other = other_tenant["order"]
    for item in other.items:
        item.approval = "pending"
    db.session.commit()
    for send in (logged_in.post, lambda u: logged_in.htmx("POST", u)):
        assert send(url(other)).status_code == 404
    assert approvals(other) == ["pending", "pending"]


def test_signed_out_visitor_cannot_approve(client, order):
    assert client.post(url(order)).status_code in (302, 401)
    assert approvals(order) == ["pending", "denied", "approved", "pending"]
