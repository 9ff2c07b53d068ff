"""The push as an admin sees it, in headless Chromium with a real worker and the emulator:
recording a payment shows the order reaching PressWise without a reload, and Push Order on a
failed order turns it pushed while the panel follows by itself."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.domain.push import Trigger
from portal.extensions import db
from portal.integration.push import enqueue_push, request_push
from tests import factories
from tests.fixtures.push import partner_orders_for, wait_for_push

pytestmark = pytest.mark.browser


def test_recording_a_payment_shows_the_order_reaching_presswise(logged_in_page, pushing_site, presswise, rq_worker):
    page = logged_in_page
    order = factories.order(pushing_site.site, number="77001", items=2)
    db.session.commit()
    page.goto(f"/orders/{order.id}")
    expect(page.locator(f"#outlook-{pushing_site.account.id}")).to_contain_text("once the rules above are met")

    page.select_option("#method", "check")
    page.get_by_role("button", name="Mark paid").click()

    line = page.locator(f"#outlook-{pushing_site.account.id}")
    expect(line.locator(".badge")).to_have_text("Pushed", timeout=20_000)
    (stored,) = partner_orders_for(presswise, order)
    expect(line).to_contain_text(f"PressWise order {stored['id']}")
    assert page.url.endswith(f"/orders/{order.id}"), "no reload"


def test_push_order_on_a_failed_order_turns_it_pushed(logged_in_page, pushing_site, presswise, rq_worker):
    page = logged_in_page
    order = factories.order(pushing_site.site, number="77002", paid=True)
    db.session.commit()
    presswise.inject_fault("respond", http_status=200, operation="add_purchase_order",
                           body="<Envelope><Body><add_purchase_orderResponse><result><status><code>2</code>"
                                "<text>customerID unknown</text></status></result></add_purchase_orderResponse></Body></Envelope>")
    request = request_push(order, pushing_site.account, trigger=Trigger.AUTOMATIC)
    db.session.commit()
    enqueue_push(request.integration_id)
    assert wait_for_push(order, pushing_site.account).state == "failed"

    page.goto(f"/orders/{order.id}/embedded-services")
    panel = page.locator(f"#account-{pushing_site.account.id}")
    expect(panel.locator(".push-state .badge")).to_have_text("Failed")
    expect(panel.locator(".last-error")).to_contain_text("customerID unknown")
    panel.get_by_role("button", name="Push Order").click()
    expect(panel.locator(".push-state .badge")).to_have_text("Pushed", timeout=20_000)
    expect(panel.locator(".attempts tbody tr")).to_have_count(2)
    assert len(partner_orders_for(presswise, order)) == 1
