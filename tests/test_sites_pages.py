"""The sites list and each site's tabbed detail page (Overview, Users), scoped to the subscriber."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event

from portal.extensions import db
from portal.models.types import utcnow
from tests import factories
from tests.conftest import soup


@contextmanager
def counting_queries():
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def _row(page, site):
    return page.select_one(f'tr[data-site-id="{site.id}"]')


@pytest.fixture
def busy_site(subscriber):
    """A site with 3 users and 4 orders, one of them older than 30 days."""
    site = factories.site(subscriber, name="Main store", domain="shop.acme.example")
    users = [factories.site_user(site) for _ in range(3)]
    for user in users:
        factories.order(site, user=user)
    factories.order(site, user=users[0], placed_at=utcnow() - timedelta(days=40))
    db.session.commit()
    return site


def test_sites_list_shows_each_site_with_its_counts(logged_in, subscriber, busy_site, other_tenant):
    quiet = factories.site(subscriber, name="Quiet store", domain="quiet.acme.example")
    db.session.commit()

    page = soup(logged_in.get("/sites/"))

    row = _row(page, busy_site)
    assert row.select_one(".name a").text == "Main store"
    assert row.select_one(".name a")["href"] == f"/sites/{busy_site.id}"
    assert row.select_one(".domain").text == "shop.acme.example"
    assert row.select_one(".users").text == "3"
    assert row.select_one(".orders").text == "4"
    assert row.select_one(".recent-orders").text == "3"
    assert row.select_one(".created").text == busy_site.created_at.strftime("%Y-%m-%d")
    empty = _row(page, quiet)
    assert [empty.select_one(c).text for c in (".users", ".orders", ".recent-orders")] == ["0", "0", "0"]
    assert _row(page, other_tenant["site"]) is None
    assert "Rival store" not in page.text


def test_sites_list_counts_with_grouped_queries_not_one_per_site(logged_in, subscriber):
    site = factories.site(subscriber)
    factories.order(site)
    db.session.commit()
    with counting_queries() as few_sites:
        assert logged_in.get("/sites/").status_code == 200

    for _ in range(6):
        more = factories.site(subscriber)
        factories.order(more)
    db.session.commit()
    with counting_queries() as many_sites:
        page = soup(logged_in.get("/sites/"))

    assert len(page.select("tr[data-site-id]")) == 7
    assert len(many_sites) == len(few_sites)


def test_sites_list_says_when_there_are_no_sites(logged_in):
    page = soup(logged_in.get("/sites/"))
    assert "No sites yet." in page.select_one(".empty").text


def test_overview_tab_shows_facts_counts_and_latest_ten_orders(logged_in, busy_site):
    buyer = busy_site.users[0]
    newest = [factories.order(busy_site, user=buyer, placed_at=utcnow() + timedelta(minutes=i)) for i in range(11)]
    db.session.commit()

    response = logged_in.get(f"/sites/{busy_site.id}")

    assert response.status_code == 200
    page = soup(response)
    assert page.select_one("h1").text == "Main store"
    tabs = page.select("nav.tabs a")
    assert [(a.text, a["aria-selected"]) for a in tabs] == [("Overview", "true"), ("Users", "false")]
    assert tabs[1]["href"] == f"/sites/{busy_site.id}/users"
    assert page.select_one(".counts .users").text == "3"
    assert page.select_one(".counts .orders").text == "15"
    assert page.select_one(".counts .recent-orders").text == "14"
    links = page.select("table.latest-orders tbody tr td:first-child a")
    expected = list(reversed(newest))[:10]
    assert [a.text for a in links] == [o.number for o in expected]
    assert [a["href"] for a in links] == [f"/orders/{o.id}" for o in expected]


def _order_numbers(response) -> list[str]:
    return [a.text.strip() for a in soup(response).select("#orders-results a.order-number")]


def test_order_counts_link_to_that_sites_orders(logged_in, subscriber, busy_site):
    elsewhere = factories.order(factories.site(subscriber, name="Other store"))
    db.session.commit()
    list_link = _row(soup(logged_in.get("/sites/")), busy_site).select_one(".orders a")
    overview_link = soup(logged_in.get(f"/sites/{busy_site.id}")).select_one(".counts .orders a")
    assert list_link["href"] == overview_link["href"] == f"/orders/?site={busy_site.id}"

    response = logged_in.get(overview_link["href"])
    numbers = _order_numbers(response)
    assert len(numbers) == 4 and elsewhere.number not in numbers
    assert soup(response).select_one("select#site option[selected]")["value"] == str(busy_site.id)


def test_overview_links_to_all_orders_when_it_shows_only_the_latest(logged_in, busy_site):
    assert soup(logged_in.get(f"/sites/{busy_site.id}")).select_one("a.all-orders") is None  # 4 orders: all shown
    for _ in range(7):
        factories.order(busy_site, user=busy_site.users[0])
    db.session.commit()
    link = soup(logged_in.get(f"/sites/{busy_site.id}")).select_one("a.all-orders")
    assert link.text == "All 11 orders of this site" and link["href"] == f"/orders/?site={busy_site.id}"


def test_a_site_filter_is_shown_even_with_a_single_site(logged_in, busy_site):
    page = soup(logged_in.get(f"/orders/?site={busy_site.id}"))
    assert page.select_one("select#site option[selected]").text == "Main store"
    assert page.select_one("form.filters a.clear-filters") is not None


def test_overview_of_a_site_without_orders(logged_in, subscriber):
    site = factories.site(subscriber, name="Fresh")
    db.session.commit()
    page = soup(logged_in.get(f"/sites/{site.id}"))
    assert page.select_one(".counts .orders").text == "0"
    assert "No orders on this site yet." in page.text


def test_users_tab_lists_only_that_sites_users_with_order_counts(logged_in, subscriber, busy_site):
    elsewhere = factories.site_user(factories.site(subscriber), email="elsewhere@example.com")
    db.session.commit()

    page = soup(logged_in.get(f"/sites/{busy_site.id}/users"))

    assert [(a.text, a["aria-selected"]) for a in page.select("nav.tabs a")] == [
        ("Overview", "false"), ("Users", "true")]
    rows = page.select("table.site-users tbody tr")
    assert {row.select_one(".email").text for row in rows} == {u.email for u in busy_site.users}
    assert elsewhere.email not in page.text
    counts = {row.select_one(".email").text: row.select_one(".orders").text for row in rows}
    first = busy_site.users[0]
    assert counts[first.email] == str(first.orders.count())
    assert sorted(counts.values()) == ["1", "1", "2"]


def test_users_tab_paginates_fifty_a_page(logged_in, subscriber):
    site = factories.site(subscriber)
    for _ in range(53):
        factories.site_user(site)
    db.session.commit()

    first = soup(logged_in.get(f"/sites/{site.id}/users"))
    second = soup(logged_in.get(f"/sites/{site.id}/users?page=2"))

    assert len(first.select("table.site-users tbody tr")) == 50
    assert len(second.select("table.site-users tbody tr")) == 3
    assert first.select_one(".pagination a[rel=next]")["href"] == f"/sites/{site.id}/users?page=2"
    shown = {r["data-site-user-id"] for r in first.select("tr[data-site-user-id]")}
    assert shown.isdisjoint(r["data-site-user-id"] for r in second.select("tr[data-site-user-id]"))


@pytest.mark.parametrize("page_param", ["abc", "0", "-3", "99999999999999999999999", ""])
def test_users_tab_ignores_bad_page_numbers(logged_in, busy_site, page_param):
    response = logged_in.get(f"/sites/{busy_site.id}/users?page={page_param}")
    assert response.status_code == 200
    assert len(soup(response).select("table.site-users tbody tr")) == 3


def test_users_tab_page_past_the_end_shows_the_last_page(logged_in, busy_site):
    response = logged_in.get(f"/sites/{busy_site.id}/users?page=40")
    assert response.status_code == 200
    assert len(soup(response).select("table.site-users tbody tr")) == 3


def test_htmx_tab_click_gets_only_the_tab_frame(logged_in, busy_site):
    response = logged_in.htmx("get", f"/sites/{busy_site.id}/users", headers={"HX-Target": "site-tabs"})

    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    page = soup(response)
    assert page.find("html") is None and page.find("h1") is None
    frame = page.select_one("#site-tabs")
    assert frame is not None
    assert frame.select_one('nav.tabs a[aria-selected="true"]').text == "Users"
    assert len(frame.select("table.site-users tbody tr")) == 3


def test_tab_links_carry_htmx_attributes_and_plain_hrefs(logged_in, busy_site):
    page = soup(logged_in.get(f"/sites/{busy_site.id}"))
    nav = page.select_one("#site-tabs nav.tabs")
    assert nav["hx-target"] == "#site-tabs" and nav["hx-push-url"] == "true"
    for link in nav.select("a"):
        assert link["hx-get"] == link["href"]


@pytest.mark.parametrize("headers", [{}, {"HX-Target": "elsewhere"}, {"HX-Target": "site-tabs", "HX-History-Restore-Request": "true"}])
def test_other_requests_get_the_whole_page(logged_in, busy_site, headers):
    response = logged_in.htmx("get", f"/sites/{busy_site.id}", headers=headers)
    page = soup(response)
    assert page.find("html") is not None
    assert page.select_one("h1").text == "Main store"


SITE_ROUTES = ["/sites/{id}", "/sites/{id}/users"]


@pytest.mark.parametrize("route", SITE_ROUTES)
def test_another_tenants_site_is_not_found(logged_in, other_tenant, route):
    response = logged_in.get(route.format(id=other_tenant["site"].id))
    assert response.status_code == 404
    assert "Rival store" not in response.text


@pytest.mark.parametrize("route", SITE_ROUTES)
@pytest.mark.parametrize("site_id", ["987654", "99999999999999999999999"])
def test_unknown_site_is_not_found(logged_in, route, site_id):
    assert logged_in.get(route.format(id=site_id)).status_code == 404


@pytest.mark.parametrize("route", ["/sites/"] + SITE_ROUTES)
def test_staff_get_not_found(staff_client, other_tenant, route):
    assert staff_client.get(route.format(id=other_tenant["site"].id)).status_code == 404


@pytest.mark.parametrize("route", ["/sites/"] + SITE_ROUTES)
def test_anonymous_visitors_are_sent_to_sign_in(client, other_tenant, route):
    response = client.get(route.format(id=other_tenant["site"].id))
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


@pytest.mark.browser
def test_tab_click_swaps_the_tab_in_place_and_updates_the_address(logged_in_page, busy_site):
    from playwright.sync_api import expect

    page = logged_in_page
    page.goto(f"/sites/{busy_site.id}")
    page.evaluate("window.stillTheSamePage = true")

    page.get_by_role("tab", name="Users").click()

    expect(page.get_by_role("tab", name="Users")).to_have_attribute("aria-selected", "true")
    expect(page.locator("table.site-users tbody tr")).to_have_count(3)
    assert page.url.endswith(f"/sites/{busy_site.id}/users")
    assert page.evaluate("window.stillTheSamePage") is True
    expect(page.locator("h1")).to_have_text("Main store")
    expect(page.locator("nav.tabs")).to_have_count(1)

    page.go_back()
    expect(page.get_by_role("tab", name="Overview")).to_have_attribute("aria-selected", "true")
