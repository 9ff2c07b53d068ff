"""Sync runs in headless Chromium: the bar of Order Synchronization reaches done without a reload,
then Order Status Synchronization brings a tracking number to the order (the README's demo)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import SyncRun
from tests import factories
from tests.fixtures.push import integration_of
from tests.fixtures.browser import log_in
from tests.sync_helpers import eligible_orders

pytestmark = pytest.mark.browser


def test_the_bar_reaches_done_without_a_reload_and_the_tracking_number_arrives(page, admin, rq_worker, pushing_site,
                                                                                 presswise):
    orders = eligible_orders(pushing_site.site, 12, prefix="W")
    factories.order(pushing_site.site, number="W-unpaid")
    db.session.commit()
    presswise.set_latency(100)  # slow enough to see the bar move
    log_in(page, admin)
    page.goto(f"/embedded-services/sites/{pushing_site.site.id}")
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)

    progress = page.locator(f"#sync-{pushing_site.site.id}-{pushing_site.account.id}-orders")
    page.get_by_role("button", name="Start Order Synchronization").click()
    expect(progress.locator(".sync-message")).to_contain_text("started")
    expect(progress.locator(".sync-state")).to_have_text("Done", timeout=30_000)
    expect(progress.locator(".sync-done")).to_have_text("13 of 13 orders")
    expect(progress.locator(".count-pushed")).to_have_text("12 pushed")
    expect(progress.locator(".count-skipped")).to_have_text("1 skipped")
    assert progress.get_attribute("hx-trigger") is None, "done: no more polling"
    assert navigations == [], "the page was never reloaded"
    assert db.session.scalars(db.select(SyncRun)).one().state == "finished"
    # The run's end refreshed the tab's history and the account's state (it was never tested before).
    expect(page.locator("#recent-sync-runs .sync-run-row")).to_have_count(1)
    expect(page.locator("#recent-sync-runs .sync-run-row").first).to_contain_text("Done")
    link_id = pushing_site.link.id
    expect(page.locator(f"#account-badge-{link_id} [data-account-state]")).to_have_attribute("data-account-state", "ok")
    expect(page.locator(f"#account-calls-{link_id} .last-success")).not_to_have_text("Never")

    partner = integration_of(orders[0], pushing_site.account).partner_order_id
    presswise.set_latency(0)
    presswise.set_order_status(partner, "Shipped")
    presswise.add_shipment(partner, tracking_number="1ZBROWSER001")
    status = page.locator(f"#sync-{pushing_site.site.id}-{pushing_site.account.id}-status")
    page.get_by_role("button", name="Start Status Synchronization").click()
    expect(status.locator(".sync-state")).to_have_text("Done", timeout=30_000)
    expect(status.locator(".count-updated")).to_have_text("1 updated")
    expect(page.locator("#recent-sync-runs .sync-run-row")).to_have_count(2)
    assert navigations == []

    page.goto(f"/orders/{orders[0].id}")
    expect(page.locator(".shipments-table td.tracking")).to_have_text("1ZBROWSER001")
    expect(page.locator(".item-status")).to_have_text("Shipped")
