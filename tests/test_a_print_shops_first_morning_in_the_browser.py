"""The whole walk an admin takes on the first morning, in headless Chromium, against a real worker and
the PressWise emulator over HTTP: sign in; create the PressWise account and test its connection;
attach it to the storefront with the customer ID and switch Synchronize Orders on; start Order
Synchronization and watch the bar reach done without a reload; open an order's Embedded Services
tab; PressWise fails while a payment is recorded, and Push Order on the failed order turns it pushed;
PressWise ships an order, Order Status Synchronization brings the tracking number to the order page.

Each step waits for what the admin would see (no sleeps); a failure leaves a screenshot in
``test-artifacts/``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import EmbeddedServicesAccount
from tests import embedded_factories, factories
from tests.fixtures.browser import log_in
from tests.fixtures.presswise import AUTH_CODE, PASSWORD, USERNAME
from tests.fixtures.push import integration_of, partner_orders_for
from tests.sync_helpers import eligible_orders

pytestmark = pytest.mark.browser

CODE_2 = ("<Envelope><Body><add_purchase_orderResponse><result><status><code>2</code>"
          "<text>shipMethod: unknown shipping method</text></status></result></add_purchase_orderResponse></Body></Envelope>")


def test_a_print_shops_first_morning(page, admin, subscriber, presswise, rq_worker):
    embedded_factories.authorize(subscriber)  # staff switched Embedded Services on for Acme Print
    site = factories.site(subscriber, name="Acme storefront")
    waiting = eligible_orders(site, 10, prefix="M")
    unpaid = factories.order(site, number="M-unpaid")
    db.session.commit()
    presswise.set_latency(60)  # slow enough to see the bar move

    # Sign in; create the account; its connection is tested right away.
    log_in(page, admin)
    page.locator("nav").get_by_role("link", name="Embedded Services").click()
    page.get_by_role("link", name="Create New Account").click()
    page.get_by_label("Name", exact=True).fill("PressWise production")
    page.get_by_label("PressWise URL").fill(presswise.url)
    page.get_by_label("Username", exact=True).fill(USERNAME)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Authorization code").fill(AUTH_CODE)
    page.get_by_role("button", name="Create and test").click()
    expect(page.locator("#connection-result .connection-result")).to_contain_text("answered and accepted the credentials", timeout=20_000)
    account = db.session.scalars(db.select(EmbeddedServicesAccount)).one()
    assert account.password == PASSWORD, "stored (encrypted) as typed"

    # Attach it to the storefront with the customer ID; switch Synchronize Orders on (it asks first).
    page.goto(f"/sites/{site.id}")
    page.get_by_role("tab", name="Embedded Services").click()
    page.get_by_label("PressWise customer ID of Acme storefront for PressWise production").fill("1001")
    page.get_by_role("button", name="Attach").click()
    card = page.locator(".site-link")
    expect(card).to_be_visible()
    page.on("dialog", lambda dialog: dialog.accept())
    card.get_by_label("Synchronize Orders").check()
    card.get_by_role("button", name="Save").click()
    expect(card.locator(".saved")).to_be_visible()

    # Order Synchronization: the bar reaches done, and the page was never reloaded.
    page.goto(f"/embedded-services/sites/{site.id}")
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)
    progress = page.locator(f"#sync-{site.id}-{account.id}-orders")
    page.get_by_role("button", name="Start Order Synchronization").click()
    expect(progress).to_have_attribute("hx-trigger", "load delay:1s")  # started: it polls
    expect(progress.locator(".sync-state")).to_have_text("Done", timeout=60_000)
    assert progress.get_attribute("hx-trigger") is None, "done: the polling stopped by itself"
    expect(progress.locator(".count-pushed")).to_have_text("10 pushed")
    expect(progress.locator(".count-skipped")).to_have_text("1 skipped")
    assert navigations == [], "the bar moved without a reload"
    presswise.set_latency(0)

    # An order's Embedded Services tab: where it went, and how.
    first = waiting[0]
    (stored,) = partner_orders_for(presswise, first)
    page.goto(f"/orders/{first.id}")
    page.get_by_role("tab", name="Embedded Services").click()
    panel = page.locator(f"#account-{account.id}")
    expect(panel.locator(".push-state .badge")).to_have_text("Pushed")
    expect(panel).to_contain_text(str(stored["id"]))

    # PressWise refuses the order the payment makes eligible; Push Order, once it is fixed, sends it.
    presswise.inject_fault("respond", http_status=200, operation="add_purchase_order", body=CODE_2)
    page.goto(f"/orders/{unpaid.id}")
    page.select_option("#method", "check")
    page.get_by_role("button", name="Mark paid").click()
    expect(page.locator(f"#outlook-{account.id} .badge")).to_have_text("Failed", timeout=20_000)
    page.goto(f"/orders/{unpaid.id}/embedded-services")
    panel = page.locator(f"#account-{account.id}")
    expect(panel.locator(".last-error")).to_contain_text("shipMethod")
    panel.get_by_role("button", name="Push Order").click()
    expect(panel.locator(".push-state .badge")).to_have_text("Pushed", timeout=20_000)
    assert len(partner_orders_for(presswise, unpaid)) == 1

    # PressWise ships the first order; Order Status Synchronization brings the tracking number.
    partner_order_id = integration_of(first, account).partner_order_id
    presswise.set_order_status(partner_order_id, "Shipped")
    presswise.add_shipment(partner_order_id, tracking_number="1ZMONDAY0001")
    page.goto(f"/embedded-services/sites/{site.id}")
    status = page.locator(f"#sync-{site.id}-{account.id}-status")
    page.get_by_role("button", name="Start Status Synchronization").click()
    expect(status.locator(".sync-state")).to_have_text("Done", timeout=30_000)
    page.goto(f"/orders/{first.id}")
    expect(page.locator(".shipments-table td.tracking")).to_have_text("1ZMONDAY0001")
    expect(page.locator(".item-status")).to_have_text("Shipped")
