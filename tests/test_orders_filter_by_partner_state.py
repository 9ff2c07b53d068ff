"""The orders list filters by partner state and counts each state, so "7 failed" is one click away;
the SQL form of the integration rules agrees with the domain's on every kind of order."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Order, OrderIntegration
from portal.orders.queries import not_eligible
from tests import embedded_factories, factories
from tests.conftest import soup


@pytest.fixture
def orders(subscriber):
    """Orders in every partner situation, on a site whose account pushes, and one on a site without one."""
    site = factories.site(subscriber, name="Main store")
    account = embedded_factories.pushing_account(site, name="PressWise")
    lonely = factories.site(subscriber, name="No partner")
    made = {
        "failed": factories.order(site, paid=True, number="F-1"),
        "failed2": factories.order(site, paid=True, number="F-2"),
        "pushed": factories.order(site, paid=True, number="P-1"),
        "held": factories.order(site, number="H-1"),
        "eligible_alone": factories.order(lonely, paid=True, number="A-1"),
    }
    for key, state in (("failed", "failed"), ("failed2", "failed"), ("pushed", "pushed")):
        db.session.add(OrderIntegration(order=made[key], account=account, state=state, partner_job_ids={}))
    db.session.commit()
    return made


def _numbers(page) -> set[str]:
    return {a.text.strip() for a in page.select(".orders-table .order-number")}


def test_each_state_is_counted_and_links_to_its_orders(logged_in, orders):
    page = soup(logged_in.get("/orders/"))
    counts = {a["class"][1].removeprefix("push-count-"): a.select_one("strong").text
              for a in page.select(".push-counts a.push-count")}
    assert counts["failed"] == "2" and counts["pushed"] == "1"
    assert counts["not_eligible"] == "1", "the unpaid order is held back by a rule"
    assert counts["no_account"] == "1", "the paid order of the site without a partner account"
    assert "bad" in page.select_one(".push-count-failed")["class"]

    failed = soup(logged_in.get(page.select_one(".push-count-failed")["href"]))
    assert _numbers(failed) == {"F-1", "F-2"}
    assert failed.select_one("#push option[selected]")["value"] == "failed"
    assert _numbers(soup(logged_in.get("/orders/?push=no_account"))) == {"A-1"}
    assert _numbers(soup(logged_in.get("/orders/?push=not_eligible"))) == {"H-1"}
    row = soup(logged_in.get("/orders/?push=pushed")).select_one(".orders-table tbody tr")
    assert row.select_one(".integration .badge").text.strip() == "Pushed"


def test_an_unknown_state_is_ignored_with_a_word(logged_in, orders):
    page = soup(logged_in.get("/orders/?push=exploded"))
    assert len(_numbers(page)) == 5
    assert "Unknown partner filter" in page.text


def test_without_embedded_services_there_is_no_partner_filter(logged_in, subscriber, orders):
    subscriber.withdraw_embedded_services(by=None)
    db.session.commit()
    page = soup(logged_in.get("/orders/"))
    assert page.select_one(".push-counts") is None and page.select_one("#push") is None


@pytest.mark.parametrize("spec", [
    dict(paid=True), dict(paid=False), dict(paid=False, payment_method="open_terms"),
    dict(paid=True, items=[{"approval": "pending"}]), dict(paid=True, items=[{"approval": "denied"}]),
    dict(paid=True, items=[{"is_edoc": True}]), dict(paid=True, items=[{"is_edoc": True, "edoc_file_state": "ready"}]),
    dict(paid=True, items=[]),
])
def test_the_sql_rules_agree_with_the_domain(app, subscriber, spec):
    order = factories.order(factories.site(subscriber), **spec)
    db.session.commit()
    held_in_sql = db.session.scalar(select(Order.id).where(Order.id == order.id, not_eligible())) is not None
    assert held_in_sql == bool(order.integration_holds)


def _counts(client) -> dict[str, int]:
    page = soup(client.get("/orders/"))
    return {a["class"][1].removeprefix("push-count-"): int(a.select_one("strong").text)
            for a in page.select(".push-counts a.push-count")}


def test_each_count_is_the_number_of_orders_its_filter_lists(logged_in, subscriber, orders):
    """Also with a second account (an order in one state with both is one order, in two states it counts
    in both), another tenant's pushes, an inactive account, and an admin's change just made."""
    site = orders["failed"].site
    second = embedded_factories.pushing_account(site, name="Second")
    db.session.add_all([OrderIntegration(order=orders["failed"], account=second, state="failed", partner_job_ids={}),
                        OrderIntegration(order=orders["pushed"], account=second, state="queued", partner_job_ids={})])
    stranger_site = factories.site(factories.subscriber(name="Stranger"))
    stranger = embedded_factories.pushing_account(stranger_site, name="Stranger's")
    stranger_order = factories.order(stranger_site, paid=True)
    db.session.add(OrderIntegration(order=stranger_order, account=stranger, state="failed", partner_job_ids={}))
    dormant_site = factories.site(subscriber, name="Dormant")
    embedded_factories.pushing_account(dormant_site, name="Dormant", active=False)
    factories.order(dormant_site, paid=True, number="D-1")
    db.session.commit()

    counts = _counts(logged_in)
    assert counts["failed"] == 2 and counts["queued"] == 1 and counts["pushed"] == 1
    assert counts["no_account"] == 2, "the lonely site's and the dormant account's site's eligible orders"
    for state, count in counts.items():
        assert len(_numbers(soup(logged_in.get(f"/orders/?push={state}")))) == count, state

    held = orders["held"]
    logged_in.post(f"/orders/{held.id}/payment", data={"method": "check"})
    after = _counts(logged_in)
    assert counts["not_eligible"] == 1 and "not_eligible" not in after, "a zero count is not shown"


def test_the_total_agrees_with_the_list_with_and_without_other_filters(logged_in, orders):
    """Filtered by partner state alone, the total is that state's count (no second COUNT); with any
    other filter it is counted for the list as it stands."""
    def showing(url):
        page = soup(logged_in.get(url))
        return page.select_one(".result-count").get_text(" ", strip=True), _numbers(page)

    alone, listed = showing("/orders/?push=failed")
    assert "of 2 orders" in alone and listed == {"F-1", "F-2"}
    narrowed, listed = showing("/orders/?push=failed&q=F-2")
    assert "of 1 order" in narrowed and listed == {"F-2"}
    nothing, listed = showing("/orders/?push=failed&payment=unpaid")
    assert listed == set() and "of 2" not in nothing


def test_the_unfiltered_total_and_each_sites_total_come_from_the_counts(logged_in, subscriber, orders):
    """Unfiltered, or filtered by site alone, the total is read off the per-site counts (no COUNT of its
    own): it must still be the tenant's orders only, and change with an order that just arrived."""
    stranger_site = factories.site(factories.subscriber(name="Stranger"))
    factories.order(stranger_site, paid=True, number="S-1")
    main, lonely = orders["failed"].site, orders["eligible_alone"].site
    db.session.commit()

    def total(url):
        page = soup(logged_in.get(url))
        return page.select_one(".result-count").get_text(" ", strip=True), _numbers(page)

    everything, listed = total("/orders/")
    assert "of 5 orders" in everything and listed == {"F-1", "F-2", "P-1", "H-1", "A-1"}
    one_site, listed = total(f"/orders/?site={lonely.id}")
    assert "of 1 order" in one_site and listed == {"A-1"}
    other_site, listed = total(f"/orders/?site={main.id}")
    assert "of 4 orders" in other_site and "S-1" not in listed

    factories.order(lonely, paid=True, number="A-2")
    db.session.commit()
    assert "of 6 orders" in total("/orders/")[0]
    assert "of 2 orders" in total(f"/orders/?site={lonely.id}")[0]
