"""At 390 px (a phone) no page is wider than the screen: admins check a failed push from a phone.

Seen: the orders list was 914 px wide, the order page 604 px, the account form and the site tab
490 px, and the top bar pushed the signed-in name and "Sign out" off the screen. Tables become
stacked rows or scroll inside their own box, with a visible hint.

Also here, the small things every page has: a favicon (no 404 on every load) and a skip link to
the main content.
"""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models import OrderIntegration
from tests import embedded_factories, factories
from tests.fixtures.browser import log_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}

# What sticks out, for the failure message: the widest elements whose right edge passes the viewport.
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const element of document.querySelectorAll("body *")) {
    const box = element.getBoundingClientRect();
    if (box.right > width + 0.5 && box.width > 0) {
      out.push(`${element.tagName.toLowerCase()}#${element.id}.${[...element.classList].join(".")} right=${Math.round(box.right)}`);
    }
  }
  return out.slice(0, 12);
}"""


@pytest.fixture
def portal_data(admin, subscriber):
    """One of everything an admin opens, with the long values that stretch pages."""
    embedded_factories.authorize(subscriber)
    site = factories.site(subscriber, name="Acme Print Shop", domain="shop.acme-print-and-promotional-products.example")
    account = embedded_factories.account(
        subscriber, name="PressWise production",
        url="https://acme-print-and-promotional-products.presswise.example.com/r/wsdl-order2.php")
    link = embedded_factories.site_link(account, site, sync_orders=True)
    user = factories.site_user(site, email="purchasing.department.north-east-region@acme-print-and-promotional.example")
    order = factories.order(site, user=user, paid=True, number="2026-000123",
                            po_number="PO-2026-NORTHEAST-000987654", items=[
                                {"options_text": "Paper: 16pt matte coated two sides; Sides: 2; Corners: rounded 1/8 in"},
                                {"is_edoc": True, "approval": "pending"}])
    factories.shipment(order.items[0])
    held = factories.order(site, user=user, number="2026-000124", items=[{"approval": "pending"}, {"is_edoc": True}])
    db.session.add(OrderIntegration(order=order, account=account, state="failed", partner_job_ids={},
                                    attempt_count=3, last_error="PressWise refused the request: code 2: customerID "
                                    "invalid for this login (check the PressWise customer ID of the site)."))
    other = embedded_factories.account(subscriber, name="PressWise staging, second account",
                                       url="https://staging.presswise.example.com/r/wsdl-order2.php")
    other.pause("PressWise refused the credentials: Invalid username, password or authorization code")
    staff = factories.admin(staff=True, email="staff@platform.example", name="Sam Staff")
    db.session.commit()
    return {"site": site, "account": account, "link": link, "user": user, "order": order, "held": held,
            "staff": staff}


def _pages(data) -> list[str]:
    order, site, account, user = data["order"], data["site"], data["account"], data["user"]
    return [
        "/orders/",
        "/orders/?push=failed",
        f"/orders/{order.id}",
        f"/orders/{order.id}/embedded-services",
        f"/orders/{data['held'].id}",
        "/sites/",
        f"/sites/{site.id}",
        f"/sites/{site.id}/users",
        "/users/",
        f"/users/{user.id}",
        "/embedded-services/",
        "/embedded-services/new",
        f"/embedded-services/{account.id}",
        f"/embedded-services/{account.id}/edit",
        f"/embedded-services/sites/{site.id}",
    ]


def _assert_fits(page, path: str) -> None:
    page.goto(path)
    page.wait_for_load_state("load")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{path} is {width} px wide at {PHONE['width']} px: {page.evaluate(OVERFLOWING)}"


def test_no_admin_page_is_wider_than_a_phone(browser, live_server, portal_data, admin):
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        log_in(page, admin)
        for path in _pages(portal_data):
            _assert_fits(page, path)
        # An error keeps its width too: the account form with every field wrong.
        page.goto("/embedded-services/new")
        page.get_by_role("button", name="Create account").click()
        page.locator("[data-error-summary]").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.evaluate(OVERFLOWING)
    finally:
        context.close()


def test_staff_pages_and_sign_in_fit_a_phone(browser, live_server, portal_data):
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        _assert_fits(page, "/auth/login")
        log_in(page, portal_data["staff"])
        for path in ("/staff/", "/staff/status"):
            _assert_fits(page, path)
    finally:
        context.close()


def test_the_top_bar_keeps_the_name_and_sign_out_on_the_screen(browser, live_server, portal_data, admin):
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    page = context.new_page()
    try:
        log_in(page, admin)
        page.goto("/orders/")
        for locator in (page.locator(".session .who"), page.get_by_role("button", name="Sign out")):
            box = locator.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
            assert locator.is_visible()
    finally:
        context.close()


def test_a_table_that_scrolls_in_its_box_says_so(browser, live_server, portal_data, admin):
    """The order's items table is wider than a phone: it scrolls inside its box, with a hint."""
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    page = context.new_page()
    try:
        log_in(page, admin)
        page.goto(f"/orders/{portal_data['order'].id}")
        boxes = page.locator("table.overflowing")
        boxes.first.wait_for()
        hint = page.evaluate("""() => getComputedStyle(document.querySelector('table.overflowing'), '::before').content""")
        assert "Scroll sideways" in hint
    finally:
        context.close()


def test_every_page_has_a_favicon_and_a_skip_link(page, admin, portal_data):
    missing = []
    page.on("response", lambda response: missing.append(response.url) if response.status == 404 else None)
    log_in(page, admin)
    page.goto("/orders/")
    page.wait_for_load_state("networkidle")
    assert missing == [], missing
    icon = page.locator("link[rel=icon]")
    assert icon.count() == 1
    assert page.request.get(icon.get_attribute("href")).status == 200

    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.inner_text() == "Skip to main content"
    skip.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
