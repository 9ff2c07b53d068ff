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
    assert "Rules met" in rules.inner_text()
    assert page.url.endswith(f"/orders/{order.id}")  # no full reload or redirect happened
    assert page.locator(".flash-success").count() == 3  # one per action, shown in place, none flashed


def test_filters_update_the_table_the_form_and_the_address_bar(logged_in_page, order):
    from playwright.sync_api import expect

    page = logged_in_page
    page.goto("/orders/?site=987654")  # a filter the list ignores, with a field error
    results = page.locator("#orders-results a.order-number")
    assert results.all_inner_texts() == ["64002", "64001"]
    expect(page.locator("#site-error")).to_contain_text("Unknown site filter")
    page.evaluate("window.searchBox = document.getElementById('q')")

    page.focus("#payment")
    page.select_option("#payment", "unpaid")
    page.wait_for_url("**/orders/?payment=unpaid")  # only the filter in use, no q=&site=&...
    expect(results).to_have_text(["64001"])
    # The form was refreshed with the list: the stale error is gone, Clear is offered.
    expect(page.locator("#site-error")).to_have_count(0)
    expect(page.locator("a.clear-filters")).to_be_visible()
    assert page.locator("form.filters").count() == 1
    assert page.evaluate("document.activeElement.id") == "payment"

    page.get_by_label("Search").press_sequentially("6400", delay=30)
    page.wait_for_url("**/orders/?q=6400&payment=unpaid")
    expect(results).to_have_text(["64001"])
    # The box being typed in is never replaced, so a late answer cannot undo typing.
    assert page.evaluate("document.getElementById('q') === window.searchBox") is True
    assert page.evaluate("document.activeElement.id") == "q"

    page.go_back()
    page.wait_for_url("**/orders/?payment=unpaid")
    page.locator("a.clear-filters").click()
    page.wait_for_url("**/orders/")
    expect(results).to_have_text(["64002", "64001"])
    expect(page.get_by_label("Search")).to_have_value("")
    expect(page.locator("a.clear-filters")).to_have_count(0)


def test_approve_all_pending_items_in_place(logged_in_page, admin):
    from playwright.sync_api import expect

    site = factories.site(admin.subscriber, name="Main store")
    order = factories.order(site, number="64010", paid=True,
                            items=[{"approval": "pending"}, {"approval": "pending"}, {"approval": "pending"}])
    db.session.commit()
    page = logged_in_page
    page.goto(f"/orders/{order.id}")
    page.evaluate("window.stillTheSamePage = true")
    rows = page.locator(".items-table > tbody.item")

    # Deciding one item by hand keeps the bulk button's count right.
    rows.nth(0).get_by_role("button", name="Deny").click()
    expect(page.get_by_role("button", name="Approve all 2 pending items")).to_be_visible()

    page.get_by_role("button", name="Approve all 2 pending items").click()
    expect(page.locator("#approve-pending .items-message")).to_have_text("Items #2, #3 approved.")
    expect(rows.locator("td.approval .badge")).to_have_text(["Denied", "Approved", "Approved"])
    expect(page.locator("#integration-rules li.hold")).to_have_text(["Item #1 was denied."])
    expect(page.locator("#order-badges")).to_contain_text("2 of 3 approved")
    assert page.evaluate("window.stillTheSamePage") is True
    assert page.url.endswith(f"/orders/{order.id}")

    # The swapped-in rows still work through HTMX.
    rows.nth(0).get_by_role("button", name="Approve").click()
    expect(page.locator("#integration-rules")).to_contain_text("Rules met")
    expect(page.locator("form.approve-pending")).to_have_count(0)
    assert page.evaluate("window.stillTheSamePage") is True
