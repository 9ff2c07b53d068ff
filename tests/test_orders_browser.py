"""The orders pages in headless Chromium: HTMX swaps rows and panels in place, the rules panel follows."""

from __future__ import annotations

import pytest

from portal.extensions import db
from tests import factories

pytestmark = pytest.mark.browser


@pytest.fixture
def order(admin):
    site = factories.site(admin.subscriber, name="Main store")
    order = factories.order(site, number="64001", items=[{"approval": "pending"}, {"is_edoc": True}])
    factories.order(site, number="64002", paid=True)
    db.session.commit()
    return order


def test_actions_update_the_page_in_place(logged_in_page, order):
    page = logged_in_page
    page.goto(f"/orders/{order.id}")
    rules = page.locator("#integration-rules")
    assert rules.locator("li.hold").count() == 3

    page.select_option("#method", "check")
    page.fill("#reference", "CHK-77")
    page.get_by_role("button", name="Mark paid").click()
    page.locator("#payment .flash-success").wait_for()
    assert page.locator("#payment .payment-status").inner_text() == "Paid"
    assert rules.locator("li.hold").count() == 2
    assert page.locator("#order-badges").inner_text().startswith("Paid")

    first, second = (page.locator(f"#item-{item.id}") for item in order.items)
    first.get_by_role("button", name="Approve").click()
    first.locator(".item-message").wait_for()
    assert first.locator(".approval .badge").inner_text() == "Approved"
    assert rules.locator("li.hold").all_inner_texts() == ["eDocBuilder file for item #2 is still pending."]
    # The swapped rows are still rows of the items table, not stray text.
    assert page.locator(".items-table > tbody.item").count() == 2

    second.get_by_role("button", name="Mark file ready").click()
    second.locator(".item-message").wait_for()
    assert "Ready to push" in rules.inner_text()
    assert page.url.endswith(f"/orders/{order.id}")  # no full reload or redirect happened
    assert page.locator(".flash-success").count() == 3  # one per action, shown in place, none flashed


def test_filters_update_the_table_and_the_address_bar(logged_in_page, order):
    page = logged_in_page
    page.goto("/orders/")
    assert page.locator("#orders-results a.order-number").all_inner_texts() == ["64002", "64001"]
    page.select_option("#payment", "unpaid")
    page.wait_for_url("**/orders/?*payment=unpaid*")
    page.locator("#orders-results a.order-number").first.wait_for()
    assert page.locator("#orders-results a.order-number").all_inner_texts() == ["64001"]
    assert page.locator("form.filters").count() == 1
