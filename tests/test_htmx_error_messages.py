"""Errors of HTMX requests show a message in the page's error box; they never swap a whole page into a panel."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from portal.extensions import db
from tests import factories
from tests.conftest import soup
from tests.fixtures.browser import log_in

OUT_OF_DATE = "This page is out of date. Reload it and try again."


@pytest.fixture
def order(subscriber):
    order = factories.order(factories.site(subscriber), number="72001", paid=True, items=[{"approval": "pending"}])
    db.session.commit()
    return order


def approval_url(order) -> str:
    return f"/orders/{order.id}/items/{order.items[0].id}/approval"


def assert_error_box(response, status: int) -> BeautifulSoup:
    """A lone message box addressed to ``#htmx-error``, replacing the hidden one with a visible one."""
    assert response.status_code == status
    assert response.headers["HX-Retarget"] == "#htmx-error"
    assert response.headers["HX-Reswap"] == "outerHTML"
    fragment = soup(response)
    assert fragment.find("html") is None and fragment.select_one(".topbar") is None
    box = fragment.select_one("#htmx-error")
    assert box is not None and not box.has_attr("hidden")
    assert box["role"] == "alert"
    return box


def test_a_stale_csrf_token_on_an_htmx_action_is_a_message_not_a_page(logged_in, order):
    response = logged_in.htmx("POST", approval_url(order), data={"decision": "approve"}, csrf=False)

    assert assert_error_box(response, 400).get_text(strip=True) == OUT_OF_DATE
    db.session.expire_all()
    assert order.items[0].approval == "pending"


def test_without_htmx_a_stale_token_is_still_the_error_page(logged_in, order):
    response = logged_in.post(approval_url(order), data={"decision": "approve"}, csrf=False)

    assert response.status_code == 400
    page = soup(response)
    assert page.select_one(".topbar") is not None and page.find("h1").text == "Bad request"
    assert "HX-Retarget" not in response.headers


def test_another_tenants_item_is_a_404_message(logged_in, other_tenant):
    order, item = other_tenant["order"], other_tenant["item"]
    response = logged_in.htmx("POST", f"/orders/{order.id}/items/{item.id}/approval", data={"decision": "approve"})

    assert "no longer there" in assert_error_box(response, 404).get_text()


def test_a_get_on_a_post_only_action_is_a_405_message(logged_in, order):
    response = logged_in.htmx("GET", approval_url(order))

    assert "not available" in assert_error_box(response, 405).get_text()


def test_a_server_error_is_a_500_message(app, client, admin, monkeypatch):
    from portal import security

    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken():
        raise RuntimeError("boom")

    app.add_url_rule("/broken-for-test", view_func=broken)
    # Public on purpose: a route no access table names answers 404 (portal.security).
    monkeypatch.setattr(security, "PUBLIC_ENDPOINTS", security.PUBLIC_ENDPOINTS | {"broken"})
    response = client.htmx("GET", "/broken-for-test")

    box = assert_error_box(response, 500)
    assert "went wrong" in box.get_text() and "boom" not in box.get_text()


def test_a_view_that_answers_400_with_its_own_fragment_keeps_its_target(logged_in, order):
    """The item row's own error message is swapped into the row, not into the error box."""
    response = logged_in.htmx("POST", approval_url(order), data={"decision": "maybe"})

    assert response.status_code == 400
    assert "HX-Retarget" not in response.headers
    assert soup(response).select_one(f"#item-{order.items[0].id} .item-error")


def _make_every_token_stale(page) -> None:
    """What an hour-old page holds: the meta tag and the forms' hidden fields carry an expired token."""
    page.evaluate("""() => {
        document.querySelector('meta[name="csrf-token"]').content = "stale-token";
        document.querySelectorAll('input[name="csrf_token"]').forEach(input => { input.value = "stale-token"; });
    }""")


@pytest.mark.browser
def test_a_stale_token_shows_the_message_and_leaves_the_panel_intact(page, admin, order):
    log_in(page, admin)
    page.goto(f"/orders/{order.id}")
    row = page.locator(f"#item-{order.items[0].id}")
    error_box = page.locator("#htmx-error")
    assert error_box.is_hidden()
    _make_every_token_stale(page)

    with page.expect_response(lambda r: r.url.endswith(approval_url(order))) as answer:
        row.get_by_role("button", name="Approve").click()
    assert answer.value.status == 400

    error_box.wait_for(state="visible")
    assert error_box.inner_text() == OUT_OF_DATE
    assert page.locator("#htmx-error").count() == 1
    assert page.locator(".topbar").count() == 1  # no page inside the page
    assert row.get_by_role("button", name="Approve").is_visible()
    assert row.locator(".approval .badge").inner_text() != "Approved"
    assert page.locator(f"#item-{order.items[0].id} .item-summary").count() == 1


@pytest.mark.browser
def test_a_refused_action_still_shows_its_message_in_the_row(page, admin, order):
    log_in(page, admin)
    page.goto(f"/orders/{order.id}")
    row = page.locator(f"#item-{order.items[0].id}")
    row.locator("button[value=approve]").evaluate("button => { button.value = 'maybe'; }")

    row.get_by_role("button", name="Approve").click()

    row.locator(".item-error").wait_for()
    assert "Unknown decision" in row.locator(".item-error").inner_text()
    assert page.locator("#htmx-error").is_hidden()


@pytest.mark.browser
def test_an_item_that_went_away_shows_the_404_message_in_the_error_box(page, admin, order):
    """Only 400, 409 and 422 fragments are swapped by default: the error box must take the other statuses too."""
    log_in(page, admin)
    page.goto(f"/orders/{order.id}")
    row = page.locator(f"#item-{order.items[0].id}")
    row.wait_for()
    db.session.delete(order)  # removed while the page was open
    db.session.commit()

    row.get_by_role("button", name="Approve").click()

    error_box = page.locator("#htmx-error")
    error_box.wait_for(state="visible")
    assert "no longer there" in error_box.inner_text()
    assert row.get_by_role("button", name="Approve").is_visible()
    assert page.locator(".topbar").count() == 1
