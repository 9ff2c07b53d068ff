"""An HTMX action after the session ended sends the whole page to sign-in, not the sign-in form into a
panel, and the sign-in page says the action was not done and that signing in brings the admin back."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from portal.extensions import db
from tests import factories
from tests.conftest import soup
from tests.fixtures.browser import log_in


@pytest.fixture
def order(subscriber):
    order = factories.order(factories.site(subscriber), number="71001", paid=True, items=[{"approval": "pending"}])
    db.session.commit()
    return order


def approval_url(order) -> str:
    return f"/orders/{order.id}/items/{order.items[0].id}/approval"


def next_of(location: str) -> str | None:
    values = parse_qs(urlsplit(location).query).get("next")
    return values[0] if values else None


def test_htmx_action_without_a_session_answers_401_with_a_redirect_for_the_whole_page(client, order):
    response = client.htmx("POST", approval_url(order), data={"decision": "approve"},
                           headers={"HX-Current-URL": f"http://portal.test/orders/{order.id}?tab=items"})

    assert response.status_code == 401
    assert "Location" not in response.headers  # HTMX would follow a redirect and swap its page in
    redirect_to = urlsplit(response.headers["HX-Redirect"])
    assert redirect_to.path == "/auth/login"
    assert next_of(response.headers["HX-Redirect"]) == f"/orders/{order.id}?tab=items"
    assert response.get_data(as_text=True).strip() == ""
    assert order.items[0].approval == "pending"


def test_the_sign_in_page_says_the_action_was_not_done_and_signing_in_brings_you_back(client, order):
    """Seen: the page became the sign-in form with no word about the payment that was not recorded."""
    response = client.htmx("POST", f"/orders/{order.id}/payment", data={"method": "check"},
                           headers={"HX-Current-URL": f"http://portal.test/orders/{order.id}",
                                    "X-Portal-Action": "Mark%20paid"})

    login_page = soup(client.get(response.headers["HX-Redirect"]))
    message = " ".join(login_page.select_one(".flash-warning").get_text().split())
    assert message == ("You were signed out, so “Mark paid” was not done. Sign in and you are back on the "
                       "page you were on, to do it again.")


def test_an_action_without_a_name_is_still_said_not_done(client, order):
    response = client.htmx("POST", approval_url(order), data={"decision": "approve"},
                           headers={"HX-Current-URL": f"http://portal.test/orders/{order.id}"})
    login_page = client.get(response.headers["HX-Redirect"]).get_data(as_text=True)
    assert "so your last action was not done" in login_page


def test_a_hostile_action_name_is_text_and_short(client, order):
    response = client.htmx("POST", approval_url(order), data={"decision": "approve"},
                           headers={"X-Portal-Action": "%3Cscript%3Ealert(1)%3C%2Fscript%3E%00" + "x" * 500})
    login_page = client.get(response.headers["HX-Redirect"]).get_data(as_text=True)
    assert "<script>alert(1)" not in login_page and "&lt;script&gt;alert(1)" in login_page
    assert "x" * 100 not in login_page


def test_a_page_or_panel_load_without_a_session_asks_to_sign_in(client, order):
    """A GET (a tab, a poll) did nothing: the plain request to sign in is enough."""
    response = client.htmx("GET", f"/orders/{order.id}", headers={"X-Portal-Action": "Mark%20paid"})
    login_page = client.get(response.headers["HX-Redirect"]).get_data(as_text=True)
    assert "Please sign in to continue." in login_page and "was not done" not in login_page


@pytest.mark.parametrize("current_url", ["https://evil.example//evil.example/x", "javascript:alert(1)", "", "x"])
def test_a_hostile_or_missing_current_url_gives_no_next(client, order, current_url):
    response = client.htmx("GET", f"/orders/{order.id}", headers={"HX-Current-URL": current_url})

    assert response.status_code == 401
    assert next_of(response.headers["HX-Redirect"]) is None


def test_another_hosts_current_url_keeps_only_its_path(client, order):
    """The header comes from the browser's own address bar; only path and query are ever used."""
    response = client.htmx("GET", "/orders/", headers={"HX-Current-URL": "https://elsewhere.example/orders/?page=2"})

    assert response.headers["HX-Redirect"].startswith("/auth/login")
    assert next_of(response.headers["HX-Redirect"]) == "/orders/?page=2"


def test_staff_area_htmx_requests_get_the_same_answer(client):
    response = client.htmx("GET", "/staff/", headers={"HX-Current-URL": "http://portal.test/staff/"})

    assert response.status_code == 401
    assert next_of(response.headers["HX-Redirect"]) == "/staff/"


def test_without_htmx_it_is_still_a_redirect(client, order):
    response = client.get(f"/orders/{order.id}")

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/auth/login"
    assert next_of(response.headers["Location"]) == f"/orders/{order.id}"
    assert "HX-Redirect" not in response.headers


def test_a_history_restore_gets_the_sign_in_page_it_can_show(client, order):
    """HTMX restores history with its own request and shows any page it gets, but ignores HX-Redirect."""
    response = client.htmx("GET", "/orders/?page=2",
                           headers={"HX-History-Restore-Request": "true", "HX-Current-URL": "http://portal.test/orders/"})

    assert response.status_code == 302
    assert next_of(response.headers["Location"]) == "/orders/?page=2"


@pytest.mark.browser
def test_approving_after_the_session_ended_goes_to_sign_in_and_back(page, admin, order):
    log_in(page, admin)
    page.goto(f"/orders/{order.id}")
    row = page.locator(f"#item-{order.items[0].id}")
    row.wait_for()
    page.context.clear_cookies()  # the session expired while the page stayed open

    with page.expect_navigation(url="**/auth/login?**"):
        row.get_by_role("button", name="Approve").click()

    assert next_of(page.url) == f"/orders/{order.id}"
    assert page.locator("h1").inner_text() == "Sign in"
    assert page.locator("form input[name=email]").count() == 1  # one sign-in form, the page's own
    assert "You were signed out, so “Approve” was not done." in page.locator(".flash-warning").inner_text()
    page.get_by_label("E-mail", exact=True).fill(admin.email)
    page.get_by_label("Password", exact=True).fill(factories.PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert urlsplit(page.url).path == f"/orders/{order.id}"
    assert page.locator(f"#item-{order.items[0].id} .approval .badge").inner_text() != "Approved"


def test_the_sign_in_form_posts_to_sign_in_whatever_address_it_is_shown_under(client):
    """A history restore shows the sign-in page under the old page's address; the form must not post there."""
    from tests.conftest import soup

    form = soup(client.get("/auth/login?next=/orders/%3Fpage%3D2")).select_one("form:has(input[name=email])")
    action = urlsplit(form["action"])
    assert action.path == "/auth/login"
    assert parse_qs(action.query) == {"next": ["/orders/?page=2"]}
