"""The order page shows every section: header, billing, payment, totals, rules, items and shipments."""

from datetime import date
from decimal import Decimal

import pytest

from portal.extensions import db
from tests import factories
from tests.conftest import soup


@pytest.fixture
def order(subscriber):
    site = factories.site(subscriber, name="Main store")
    user = factories.site_user(site, email="grace@navy.example",
                               address=factories.address(first_name="Grace", last_name="Hopper", email="grace@navy.example"))
    elsewhere = factories.address(first_name="Ship", last_name="Dock", line1="1 Harbour Road", city="Dover")
    order = factories.order(
        site, user=user, number="60001", po_number="PO-778", notes="Deliver to the loading bay.",
        items=[
            {"product_name": "Letterhead", "part_number": "LH-A4", "options_text": "Paper: 100gsm bond",
             "quantity": 2500, "price": "120.00", "notes": "Match PMS 286", "requested_delivery_date": date(2030, 1, 15)},
            {"product_name": "Flyer", "approval": "pending", "shipping_address": elsewhere},
            {"product_name": "Poster", "approval": "denied", "shipping_address": elsewhere},
            {"product_name": "Name badge", "is_edoc": True, "file_url": "javascript:alert(1)"},
        ],
        tax2=Decimal("1.11"), tax3=Decimal("2.22"), vat=Decimal("3.33"),
    )
    factories.shipment(order.items[0], carrier="FedEx", tracking_number="TRACK-123", method="Overnight",
                       cost="14.90", ship_date=date(2030, 1, 10))
    db.session.commit()
    return order


def test_order_page_header_and_customer(logged_in, order):
    response = logged_in.get(f"/orders/{order.id}")
    assert response.status_code == 200
    page = soup(response)
    assert page.select_one("h1").text.strip() == "Order 60001"
    summary = page.select_one("#order-summary")
    assert "Main store" in summary.text
    assert "Grace Hopper" in summary.select_one(".customer").text
    assert "grace@navy.example" in summary.select_one(".customer").text
    assert summary.select_one(".po-number").text.strip() == "PO-778"
    assert "loading bay" in summary.select_one(".order-notes").text
    assert page.select_one("title").text.startswith("Order 60001")


def test_billing_address_and_totals(logged_in, order):
    page = soup(logged_in.get(f"/orders/{order.id}"))
    billing = page.select_one("#billing-address").text
    assert "Grace Hopper" in billing and "12 St James's Square" in billing
    totals = {tr.th.text.strip(): tr.td.text.strip() for tr in page.select("#totals tr")}
    assert totals == {
        "Subtotal": f"{order.subtotal:,.2f}", "Tax 1": f"{order.tax1:,.2f}", "Tax 2": "1.11", "Tax 3": "2.22",
        "VAT": "3.33", "Shipping": f"{order.shipping_cost:,.2f}", "Total": f"{order.total:,.2f}",
    }


def test_payment_panel_of_an_unpaid_order_offers_the_form(logged_in, order):
    panel = soup(logged_in.get(f"/orders/{order.id}")).select_one("#payment")
    assert panel.select_one(".payment-status").text.strip() == "Unpaid"
    assert panel.select_one(".payment-method").text.strip() == "Credit card"
    form = panel.select_one("form.record-payment")
    assert form["action"] == f"/orders/{order.id}/payment"
    assert form["hx-post"] == form["action"] and form["hx-target"] == "#payment"
    options = [o["value"] for o in form.select("select[name=method] option")]
    assert options == ["", "credit_card", "check", "bank_transfer"]  # open terms is no way of paying
    assert form.select_one("select[name=method] option[selected]")["value"] == "credit_card"
    assert form.select_one("input[name=csrf_token]")["value"]


def test_payment_panel_of_a_paid_order(logged_in, subscriber):
    order = factories.order(factories.site(subscriber), paid=True, payment_reference="TX-9")
    db.session.commit()
    panel = soup(logged_in.get(f"/orders/{order.id}")).select_one("#payment")
    assert panel.select_one(".payment-status").text.strip() == "Paid"
    assert panel.select_one(".payment-reference").text.strip() == "TX-9"
    assert panel.select_one(".paid-at").text.strip().endswith("UTC")
    assert panel.select_one("form") is None


def test_rules_panel_lists_every_hold(logged_in, order):
    rules = soup(logged_in.get(f"/orders/{order.id}")).select_one("#integration-rules")
    holds = [li.text.strip() for li in rules.select("li.hold")]
    assert holds == [
        "The order is not paid and not on open terms.",
        "Item #3 was denied.",
        "Item #2 is awaiting approval.",
        "eDocBuilder file for item #4 is still pending.",
    ]
    assert rules.select_one("li.hold-approval.bad")  # a denial holds for good


def test_rules_panel_says_ready(logged_in, subscriber):
    order = factories.order(factories.site(subscriber), paid=True)
    db.session.commit()
    rules = soup(logged_in.get(f"/orders/{order.id}")).select_one("#integration-rules")
    assert "Rules met" in rules.text and not rules.select("li.hold")


def item_body(page, item):
    return page.select_one(f"tbody#item-{item.id}")


def test_items_show_product_options_quantity_price_and_details(logged_in, order):
    page = soup(logged_in.get(f"/orders/{order.id}"))
    assert len(page.select("tbody.item")) == 4
    first = item_body(page, order.items[0])
    assert "Letterhead" in first.select_one(".product").text
    assert first.select_one(".part-number").text == "LH-A4"
    assert "100gsm bond" in first.select_one(".options").text
    assert first.select_one(".quantity").text.strip() == "2,500"
    assert first.select_one(".price").text.strip() == "120.00"
    assert first.select_one(".delivery-date").text.strip() == "2030-01-15"
    assert "UPS Ground" in first.select_one(".shipping").text and "8.00" in first.select_one(".shipping").text
    assert first.select_one(".file a")["href"] == order.items[0].file_url
    assert "Match PMS 286" in first.select_one(".item-notes").text
    assert first.select_one(".item-status").text.strip() == "Received"


def test_shipping_addresses_are_grouped(logged_in, order):
    page = soup(logged_in.get(f"/orders/{order.id}"))
    ship_to = [item_body(page, item).select_one(".ship-to").text.strip() for item in order.items]
    assert ship_to[0] == "Same as billing address"
    assert "1 Harbour Road" in ship_to[1] and "Dover" in ship_to[1]
    assert ship_to[2] == "Same as item #2"
    assert ship_to[3] == "Same as billing address"


def test_shipments_are_listed_per_item(logged_in, order):
    page = soup(logged_in.get(f"/orders/{order.id}"))
    shipment = item_body(page, order.items[0]).select_one("tr.shipment")
    cells = [td.text.strip() for td in shipment.select("td")]
    assert cells == ["2030-01-10", "Overnight", "FedEx", "TRACK-123", "14.90"]
    assert item_body(page, order.items[1]).select_one(".no-shipments")


def test_approval_and_edoc_badges_and_buttons(logged_in, order):
    page = soup(logged_in.get(f"/orders/{order.id}"))
    approved, pending, denied, edoc = (item_body(page, item) for item in order.items)

    def buttons(body):
        return [b["value"] for b in body.select("form.item-approval button")]

    assert approved.select_one(".approval .badge").text == "Approved" and buttons(approved) == ["deny"]
    assert pending.select_one(".approval .badge").text == "Pending approval" and buttons(pending) == ["approve", "deny"]
    assert denied.select_one(".approval .badge").text == "Denied" and buttons(denied) == ["approve"]
    form = pending.select_one("form.item-approval")
    assert form["hx-post"] == f"/orders/{order.id}/items/{order.items[1].id}/approval"
    assert form["hx-target"] == f"#item-{order.items[1].id}"

    assert approved.select_one(".edoc").text.strip() == "No" and not approved.select_one("form.item-edoc")
    assert edoc.select_one(".edoc .badge").text == "File pending"
    assert edoc.select_one("form.item-edoc")["action"] == f"/orders/{order.id}/items/{order.items[3].id}/edoc-ready"


def test_unsafe_file_urls_are_not_links(logged_in, order):
    page = soup(logged_in.get(f"/orders/{order.id}"))
    edoc = item_body(page, order.items[3])
    assert edoc.select_one(".file a") is None
    assert "javascript:alert(1)" in edoc.select_one(".file").text


def test_an_order_without_items(logged_in, subscriber):
    order = factories.order(factories.site(subscriber), items=0, paid=True)
    db.session.commit()
    page = soup(logged_in.get(f"/orders/{order.id}"))
    assert "This order has no items." in page.select_one("#items").text
    assert "The order has no items." in page.select_one("#integration-rules").text


def test_unknown_order_is_404(logged_in):
    assert logged_in.get("/orders/987654").status_code == 404


def test_signed_out_visitor_is_sent_to_login(client, order):
    response = client.get(f"/orders/{order.id}")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_breadcrumbs_read_the_same_on_orders_sites_and_site_users(logged_in, order):
    pages = {
        f"/orders/{order.id}": ("Orders", "/orders/"),
        f"/sites/{order.site_id}": ("Sites", "/sites/"),
        f"/users/{order.site_user_id}": ("Site users", "/users/"),
    }
    for url, (label, href) in pages.items():
        crumb = soup(logged_in.get(url)).select_one("p.breadcrumb")
        assert "muted" in crumb["class"]
        assert (crumb.a.text, crumb.a["href"]) == (label, href)
        assert crumb.get_text().strip() == f"{label} /", url
