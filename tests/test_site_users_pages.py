"""The site users list (search, site filter, pagination) and each user's tabbed detail page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.domain.orders import PaymentMethod
from portal.extensions import db
from portal.models.types import utcnow
from tests import factories
from tests.conftest import soup
from tests.test_sites_pages import counting_queries


def _emails(page) -> set[str]:
    return {cell.text for cell in page.select("table.site-users tbody .email")}


@pytest.fixture
def people(subscriber):
    """Three users on two sites with distinct names and companies."""
    north = factories.site(subscriber, name="North store")
    south = factories.site(subscriber, name="South store")
    ada = factories.site_user(north, email="ada@lovelace.example",
                              address=factories.address(first_name="Ada", last_name="Lovelace", company="Engines Ltd"))
    grace = factories.site_user(south, email="grace@navy.example",
                                address=factories.address(first_name="Grace", last_name="Hopper", company="US Navy"))
    alan = factories.site_user(north, email="alan@bletchley.example",
                               address=factories.address(first_name="Alan", last_name="Turing", company="Bletchley_Park"))
    factories.order(north, user=ada)
    factories.order(north, user=ada)
    factories.order(south, user=grace)
    db.session.commit()
    return {"north": north, "south": south, "ada": ada, "grace": grace, "alan": alan}


def test_list_shows_every_user_of_the_subscriber_with_columns(logged_in, people, other_tenant):
    page = soup(logged_in.get("/users/"))

    row = page.select_one(f'tr[data-site-user-id="{people["ada"].id}"]')
    assert row.select_one(".name a").text == "Ada Lovelace"
    assert row.select_one(".name a")["href"] == f"/users/{people['ada'].id}"
    assert row.select_one(".email").text == "ada@lovelace.example"
    assert row.select_one(".company").text == "Engines Ltd"
    assert row.select_one(".site a").text == "North store"
    assert row.select_one(".orders").text == "2"
    assert row.select_one(".created").text == people["ada"].created_at.strftime("%Y-%m-%d")
    counts = {r.select_one(".email").text: r.select_one(".orders").text for r in page.select("tbody tr")}
    assert counts == {"ada@lovelace.example": "2", "grace@navy.example": "1", "alan@bletchley.example": "0"}
    assert other_tenant["site_user"].email not in page.text


@pytest.mark.parametrize("q, expected", [
    ("NAVY.example", {"grace@navy.example"}),          # e-mail, any case
    ("ada lovelace", {"ada@lovelace.example"}),        # first and last name together
    ("  hopper ", {"grace@navy.example"}),             # last name, spaces trimmed
    ("engines", {"ada@lovelace.example"}),             # company
    ("a", {"ada@lovelace.example", "grace@navy.example", "alan@bletchley.example"}),
    ("_", {"alan@bletchley.example"}),                 # LIKE wildcards are taken literally
    ("%", set()),
    ("nobody", set()),
])
def test_search_matches_email_name_or_company(logged_in, people, q, expected):
    response = logged_in.get("/users/", query_string={"q": q})
    assert response.status_code == 200
    page = soup(response)
    assert _emails(page) == expected
    assert page.select_one("#q")["value"] == q.strip()
    if not expected:
        assert "No site users match." in page.text


def test_search_never_reaches_another_tenant(logged_in, people, other_tenant):
    page = soup(logged_in.get("/users/", query_string={"q": other_tenant["site_user"].email}))
    assert _emails(page) == set()


def test_filter_by_site_and_combine_with_search(logged_in, people):
    north = people["north"].id
    page = soup(logged_in.get("/users/", query_string={"site": north}))
    assert _emails(page) == {"ada@lovelace.example", "alan@bletchley.example"}
    assert page.select_one("#site option[selected]")["value"] == str(north)

    page = soup(logged_in.get("/users/", query_string={"site": north, "q": "turing"}))
    assert _emails(page) == {"alan@bletchley.example"}


@pytest.mark.parametrize("site_param", ["abc", "987654", "-1", "99999999999999999999999"])
def test_unknown_site_filter_is_ignored_with_a_message(logged_in, people, site_param):
    response = logged_in.get("/users/", query_string={"site": site_param})
    assert response.status_code == 200
    page = soup(response)
    assert "That site does not exist" in page.select_one("#users-results .flash").text
    assert len(_emails(page)) == 3


def test_another_tenants_site_as_filter_shows_none_of_its_users(logged_in, people, other_tenant):
    page = soup(logged_in.get("/users/", query_string={"site": other_tenant["site"].id}))
    assert "That site does not exist" in page.text
    assert other_tenant["site_user"].email not in page.text
    assert len(_emails(page)) == 3


def test_list_paginates_fifty_a_page_and_keeps_the_filters(logged_in, subscriber):
    site = factories.site(subscriber)
    for n in range(120):
        factories.site_user(site, email=f"bulk{n:03d}@example.com")
    factories.site_user(site, email="other@example.com")
    db.session.commit()

    first = soup(logged_in.get("/users/", query_string={"q": "bulk", "site": site.id}))
    assert len(_emails(first)) == 50
    next_link = first.select_one(".pagination a[rel=next]")["href"]
    assert "q=bulk" in next_link and f"site={site.id}" in next_link and "page=2" in next_link
    assert "Page 1 of 3 · 120 in all" in first.select_one(".pagination").text

    pages = [_emails(first)] + [
        _emails(soup(logged_in.get("/users/", query_string={"q": "bulk", "page": n}))) for n in (2, 3)]
    assert [len(p) for p in pages] == [50, 50, 20]
    assert set().union(*pages) == {f"bulk{n:03d}@example.com" for n in range(120)}


@pytest.mark.parametrize("page_param", ["abc", "0", "-2", "99999999999999999999999", "1.5"])
def test_bad_page_numbers_show_the_first_page(logged_in, people, page_param):
    response = logged_in.get(f"/users/?page={page_param}")
    assert response.status_code == 200
    assert len(_emails(soup(response))) == 3


def test_order_counts_take_the_same_number_of_queries_for_a_full_page(logged_in, subscriber):
    site = factories.site(subscriber)
    factories.order(site)
    db.session.commit()
    with counting_queries() as one_user:
        logged_in.get("/users/")
    for _ in range(30):
        factories.order(site)
    db.session.commit()
    with counting_queries() as many_users:
        page = soup(logged_in.get("/users/"))
    assert len(_emails(page)) == 31
    assert len(many_users) == len(one_user)


def test_htmx_search_gets_the_form_and_results_and_a_tidy_url(logged_in, people):
    response = logged_in.htmx("get", "/users/?q=hopper&site=", headers={"HX-Target": "users-list"})
    page = soup(response)
    assert page.find("html") is None
    assert page.select_one("#users-list")["hx-target"] == "#users-list"
    assert page.select_one("#users-list form.filters a.clear-filters")["href"] == "/users/"
    assert _emails(page) == {"grace@navy.example"}
    assert response.headers["HX-Push-Url"] == "/users/?q=hopper"
    full = soup(logged_in.get("/users/"))
    assert full.select_one("#users-list > form.filters")["method"] == "get"
    assert full.select_one("form.filters a.clear-filters") is None


def test_htmx_search_for_an_unknown_site_keeps_the_notice_and_drops_it_from_the_url(logged_in, people):
    response = logged_in.htmx("get", "/users/?q=&site=987654", headers={"HX-Target": "users-list"})
    page = soup(response)
    assert "That site does not exist" in page.select_one("#users-results .flash").text
    assert page.select_one("form.filters a.clear-filters") is not None
    assert response.headers["HX-Push-Url"] == "/users/"


def test_detail_shows_contact_address_site_and_latest_twenty_orders(logged_in, people):
    ada, north = people["ada"], people["north"]
    paid = factories.order(north, user=ada, paid=True, placed_at=utcnow() + timedelta(hours=1))
    terms = factories.order(north, user=ada, payment_method=PaymentMethod.OPEN_TERMS.value,
                            placed_at=utcnow() + timedelta(hours=2))
    for n in range(20):
        factories.order(north, user=ada, placed_at=utcnow() - timedelta(days=n + 1))
    db.session.commit()

    response = logged_in.get(f"/users/{ada.id}")

    assert response.status_code == 200
    page = soup(response)
    assert page.select_one("h1").text == "Ada Lovelace"
    assert [(a.text, a["aria-selected"]) for a in page.select("#user-tabs nav.tabs a")] == [("Details", "true")]
    contact = page.select_one("dl.contact")
    assert contact.select_one(".email").text == "ada@lovelace.example"
    assert contact.select_one(".company").text == "Engines Ltd"
    assert contact.select_one(".phone").text == "+44 20 7946 0000"
    assert contact.select_one(".site a")["href"] == f"/sites/{north.id}"
    address = page.select_one("address.address").get_text("\n")
    assert "12 St James's Square" in address and "SW1Y 4JH" in address
    rows = page.select("table.user-orders tbody tr")
    assert len(rows) == 20
    assert "Latest 20 of 24 orders." in page.text
    first, second = rows[0], rows[1]
    assert first.select_one("a")["href"] == f"/orders/{terms.id}"
    assert first.select_one(".payment").text == "Open terms"
    assert second.select_one("a").text == paid.number
    assert second.select_one(".payment").text == "Paid"
    assert second.select_one(".total").text == f"{paid.total:,.2f}"
    assert rows[2].select_one(".payment").text == "Unpaid"


def test_detail_links_to_all_of_the_users_orders(logged_in, people):
    ada, north, south = people["ada"], people["north"], people["south"]
    for _ in range(21):
        factories.order(north, user=ada)
    same_email_elsewhere = factories.site_user(south, email=ada.email)
    stranger = factories.order(south, user=same_email_elsewhere)
    db.session.commit()
    page = soup(logged_in.get(f"/users/{ada.id}"))
    link = page.select_one(".order-count a.all-orders")
    assert link.text == "All 23 orders"
    response = logged_in.get(link["href"])
    assert "of 23 orders" in soup(response).select_one(".result-count").text
    assert stranger.number not in response.text  # the same e-mail on another site is another customer

    few = soup(logged_in.get(f"/users/{people['grace'].id}"))
    assert few.select_one("a.all-orders") is None  # every order is listed already


def test_detail_of_a_user_without_orders(logged_in, people):
    page = soup(logged_in.get(f"/users/{people['alan'].id}"))
    assert "No orders yet." in page.text
    assert page.select_one("table.user-orders") is None


def test_detail_htmx_tab_click_gets_only_the_tab_frame(logged_in, people):
    response = logged_in.htmx("get", f"/users/{people['ada'].id}", headers={"HX-Target": "user-tabs"})
    page = soup(response)
    assert page.find("html") is None and page.find("h1") is None
    assert page.select_one('#user-tabs nav.tabs a[aria-selected="true"]').text == "Details"
    assert len(page.select("table.user-orders tbody tr")) == 2


def test_another_tenants_user_is_not_found(logged_in, other_tenant):
    response = logged_in.get(f"/users/{other_tenant['site_user'].id}")
    assert response.status_code == 404
    assert other_tenant["site_user"].email not in response.text


@pytest.mark.parametrize("site_user_id", ["987654", "99999999999999999999999"])
def test_unknown_user_is_not_found(logged_in, site_user_id):
    assert logged_in.get(f"/users/{site_user_id}").status_code == 404


@pytest.mark.parametrize("route", ["/users/", "/users/{id}"])
def test_staff_get_not_found(staff_client, other_tenant, route):
    assert staff_client.get(route.format(id=other_tenant["site_user"].id)).status_code == 404


@pytest.mark.parametrize("route", ["/users/", "/users/{id}"])
def test_anonymous_visitors_are_sent_to_sign_in(client, other_tenant, route):
    response = client.get(route.format(id=other_tenant["site_user"].id))
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


@pytest.mark.browser
def test_typing_a_search_narrows_the_list_in_place(logged_in_page, people):
    from playwright.sync_api import expect

    page = logged_in_page
    page.goto("/users/")
    expect(page.locator("table.site-users tbody tr")).to_have_count(3)
    page.evaluate("window.stillTheSamePage = true")

    page.evaluate("window.searchBox = document.getElementById('q')")
    expect(page.locator("a.clear-filters")).to_have_count(0)

    page.get_by_label("Search").press_sequentially("hopper", delay=20)

    expect(page.locator("table.site-users tbody tr")).to_have_count(1)
    expect(page.locator("table.site-users .email")).to_have_text("grace@navy.example")
    assert page.evaluate("window.stillTheSamePage") is True
    page.wait_for_url("**/users/?q=hopper")  # no empty site= in the address
    # The form came back with the results: it now offers Clear. The search box is the very
    # box being typed in, still focused, so a late answer cannot take letters back.
    expect(page.locator("a.clear-filters")).to_be_visible()
    assert page.evaluate("document.getElementById('q') === window.searchBox") is True
    assert page.evaluate("document.activeElement.id") == "q"
    expect(page.get_by_label("Search")).to_have_value("hopper")

    page.locator("a.clear-filters").click()
    page.wait_for_url("**/users/")
    expect(page.get_by_label("Search")).to_have_value("")
    expect(page.locator("table.site-users tbody tr")).to_have_count(3)

    # Choosing a site asks at once, in place (only the lists ask on "change", not the search box).
    page.evaluate("window.stillTheSamePage = true")
    page.select_option("#site", label="North store")
    expect(page.locator("table.site-users tbody tr")).to_have_count(2)
    assert page.evaluate("window.stillTheSamePage") is True


def test_payment_badges_read_the_same_on_every_page(logged_in, people):
    """One macro draws the badge: the orders list, the site overview and the user page agree."""
    ada, north = people["ada"], people["north"]
    order = factories.order(north, user=ada, paid=True, payment_method="check", placed_at=utcnow() + timedelta(days=1))
    db.session.commit()

    def badge(page, selector):
        return page.select_one(selector).select_one(".badge.payment")

    listed = badge(soup(logged_in.get("/orders/")), f"tr[data-order-id='{order.id}'] td.payment")
    on_site = badge(soup(logged_in.get(f"/sites/{north.id}")), "table.latest-orders tbody tr")
    on_user = badge(soup(logged_in.get(f"/users/{ada.id}")), "table.user-orders tbody tr")
    assert str(listed) == str(on_site) == str(on_user) == '<span class="badge ok payment">Paid</span>'
    method = soup(logged_in.get(f"/users/{ada.id}")).select_one("table.user-orders tbody tr .payment-method-label")
    assert method.text == "Check"


def test_a_user_without_an_address_says_so(logged_in, subscriber):
    user = factories.site_user(factories.site(subscriber), address=factories.address(
        first_name="", last_name="", company="", line1="", line2="", line3="", city="", state="",
        postal_code="", country="", phone="", email=""))
    db.session.commit()
    page = soup(logged_in.get(f"/users/{user.id}"))
    assert page.select_one(".no-address").text == "No address on file."
    assert page.select_one("address") is None
