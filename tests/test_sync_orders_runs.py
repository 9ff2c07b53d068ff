"""Order Synchronization through the site tab's button, a real worker and the emulator over HTTP:
what it pushes, adopts and skips, the dry run, one run at a time, Cancel, the switches.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import OrderIntegration, SyncRun
from tests import embedded_factories, factories
from tests.fixtures.push import integration_of, partner_orders_for
from tests.sync_helpers import (
    days_ago,
    eligible_orders,
    fragment_of,
    follow,
    outcomes_of,
    run_to_the_end,
    start,
    wait_for_run,
)


@pytest.fixture(autouse=True)
def _worker(rq_worker):
    return rq_worker


@pytest.fixture
def mixed_site(pushing_site, presswise):
    """Two eligible orders, two held back, one an older integration already sent, and two not in the window."""
    site = pushing_site.site
    orders = {
        "eligible": eligible_orders(site, 2, prefix="E"),
        "unpaid": factories.order(site, number="H-unpaid"),
        "pending": factories.order(site, paid=True, number="H-pending", items=[{}, {"approval": "pending"}]),
        "older": factories.order(site, paid=True, number="O-older"),
        "too old": factories.order(site, paid=True, number="X-too-old", placed_at=days_ago(31)),
        "pushed": factories.order(site, paid=True, number="X-pushed"),
    }
    db.session.commit()
    presswise.client().push_order(orders["older"], customer_id="1001")  # the older integration
    row = OrderIntegration(order_id=orders["pushed"].id, account_id=pushing_site.account.id, state="pushed",
                           partner_order_id="777", partner_job_ids={}, pushed_at=days_ago(1))
    db.session.add(row)
    db.session.commit()
    return orders


def test_a_mixed_run_pushes_adopts_and_skips_with_reasons(logged_in, pushing_site, presswise, mixed_site):
    response = start(logged_in, pushing_site.link, "orders")
    assert response.status_code == 200
    fragment = fragment_of(response)
    assert "started" in fragment.select_one(".sync-message").get_text()
    final = follow(logged_in, fragment)
    assert not final.has_attr("hx-trigger") and not final.has_attr("hx-get"), "done: polling stops by itself"
    assert "Done" in final.select_one(".sync-state").get_text()

    run = db.session.scalars(select(SyncRun)).one()
    assert (run.state, run.total, run.done) == ("finished", 5, 5)
    assert (run.pushed, run.adopted, run.skipped, run.failed) == (2, 1, 2, 0)
    assert run.who == "Alice Admin" and run.active_key is None and run.finished_at is not None
    outcomes = outcomes_of(run)
    assert set(outcomes) == {"E-0000", "E-0001", "H-unpaid", "H-pending", "O-older"}
    assert {outcomes[n].outcome for n in ("E-0000", "E-0001")} == {"pushed"}
    assert outcomes["O-older"].outcome == "adopted" and "adopted" in outcomes["O-older"].detail
    assert outcomes["H-unpaid"].outcome == "skipped" and "not paid" in outcomes["H-unpaid"].detail
    assert outcomes["H-pending"].outcome == "skipped" and "#2 is awaiting approval" in outcomes["H-pending"].detail

    for order in mixed_site["eligible"] + [mixed_site["older"]]:
        assert len(partner_orders_for(presswise, order)) == 1, order.number
        row = integration_of(order, pushing_site.account)
        assert row.state in ("pushed", "adopted") and row.partner_order_id == outcomes[order.number].partner_order_id
    for key in ("unpaid", "pending", "too old", "pushed"):
        assert partner_orders_for(presswise, mixed_site[key]) == [], key
    # The pushes went the exactly-once way: reconciled first, with the admin as who asked.
    pushed = integration_of(mixed_site["eligible"][0], pushing_site.account)
    assert pushed.attempts[0].requested_by.startswith("Alice Admin")
    assert [c["operation"] for c in presswise.calls() if c["source_order_id"] == "E-0000"][:1] == ["find_orders"]


def test_the_run_page_lists_outcomes_with_filters_and_links_to_the_orders(logged_in, pushing_site, mixed_site):
    run = run_to_the_end(logged_in, pushing_site.link, "orders")
    url = f"/embedded-services/sites/{pushing_site.site.id}/runs/{run.id}"
    page = logged_in.get(url)
    assert page.status_code == 200
    from tests.conftest import soup

    page = soup(page)
    assert len(page.select("table.outcomes tr.outcome")) == 5
    assert page.select_one(".filter-skipped").get_text(" ", strip=True).endswith("(2)")
    skipped = soup(logged_in.get(url + "?outcome=skipped"))
    links = [a["href"] for a in skipped.select("tr.outcome a.order-link")]
    assert sorted(links) == sorted(f"/orders/{mixed_site[k].id}" for k in ("unpaid", "pending"))
    assert soup(logged_in.get(url + "?outcome=nonsense")).select("tr.outcome"), "an unknown filter shows all"

    history = soup(logged_in.get(f"/embedded-services/sites/{pushing_site.site.id}/runs"))
    assert [a.get_text(strip=True) for a in history.select("table.sync-runs td a")] == [f"Order Synchronization #{run.id}"]


def test_a_dry_run_changes_nothing_in_the_emulator(logged_in, pushing_site, presswise, mixed_site):
    pushing_site.link.sync_orders = False  # coming from an older integration: see first, push later
    db.session.commit()
    before = db.session.scalar(select(func.count()).select_from(OrderIntegration))

    run = run_to_the_end(logged_in, pushing_site.link, "orders", dry_run=True)

    assert run.dry_run and run.state == "finished"
    assert (run.pushed, run.adopted, run.skipped, run.failed) == (2, 1, 2, 0)
    assert {call["operation"] for call in presswise.calls()} == {"find_orders", "add_purchase_order"}
    assert [c["source_order_id"] for c in presswise.calls("add_purchase_order")] == ["O-older"], "only the setup's"
    assert presswise.calls("create_user") == []
    assert db.session.scalar(select(func.count()).select_from(OrderIntegration)) == before
    outcome = outcomes_of(run)["E-0000"]
    assert outcome.outcome == "pushed" and "it would be sent" in outcome.detail


def test_one_run_at_a_time_per_kind(logged_in, pushing_site, presswise):
    eligible_orders(pushing_site.site, 6)
    db.session.commit()
    presswise.set_latency(300)
    first = fragment_of(start(logged_in, pushing_site.link, "orders"))
    second = start(logged_in, pushing_site.link, "orders")
    assert second.status_code == 200
    assert "already under way" in fragment_of(second).select_one(".sync-message").get_text()
    assert fragment_of(second)["id"] == first["id"]
    assert db.session.scalar(select(func.count()).select_from(SyncRun)) == 1
    # The other kind is another line of work: it may run alongside.
    status = start(logged_in, pushing_site.link, "status")
    assert "started" in fragment_of(status).select_one(".sync-message").get_text()
    assert db.session.scalar(select(func.count()).select_from(SyncRun)) == 2
    presswise.set_latency(0)
    follow(logged_in, first)
    follow(logged_in, fragment_of(status))


def test_cancel_stops_between_orders_and_nothing_is_lost(logged_in, pushing_site, presswise):
    pushing_site.account.max_concurrent_calls = 2
    orders = eligible_orders(pushing_site.site, 16)
    db.session.commit()
    presswise.set_latency(150)
    fragment = fragment_of(start(logged_in, pushing_site.link, "orders"))
    run = db.session.scalars(select(SyncRun)).one()
    wait_for_run(run.id, done_at_least=2)

    cancel = logged_in.htmx("post", f"/embedded-services/sites/{pushing_site.site.id}/runs/{run.id}/cancel")
    assert cancel.status_code == 200
    assert "Cancel" in fragment_of(cancel).select_one(".sync-message").get_text()
    final = follow(logged_in, fragment_of(cancel))
    assert "Cancelled" in final.select_one(".sync-state").get_text()

    run = wait_for_run(run.id)
    assert run.state == "cancelled" and run.active_key is None
    assert 2 <= run.done < len(orders)
    recorded = {number for number, outcome in outcomes_of(run).items() if outcome.outcome == "pushed"}
    in_partner = {o["order"]["source_order_id"] for o in presswise.orders()}
    assert in_partner == recorded, "every order sent is recorded; none was sent after the cancel"
    assert db.session.scalar(select(func.count()).select_from(OrderIntegration)
                             .where(OrderIntegration.state == "sending")) == 0, "no push left half done"
    assert fragment["id"] == final["id"]


def test_the_switches_refuse_the_runs(logged_in, pushing_site):
    link = pushing_site.link
    link.sync_orders, link.sync_status = False, False
    db.session.commit()
    for kind, switch in (("orders", "Synchronize Orders is off"), ("status", "Synchronize Status is off")):
        response = start(logged_in, link, kind)
        assert response.status_code == 409
        assert switch in fragment_of(response).select_one(".sync-refused").get_text()
    assert db.session.scalar(select(func.count()).select_from(SyncRun)) == 0

    link.sync_orders, link.sync_status = True, True
    pushing_site.account.pause("PressWise refused the credentials: wrong password")
    db.session.commit()
    response = start(logged_in, link, "orders")
    assert response.status_code == 409 and "paused" in fragment_of(response).get_text()
    # Without JavaScript: back to the tab with the reason.
    plain = logged_in.post(f"/embedded-services/sites/{link.site_id}/links/{link.id}/sync-status")
    assert plain.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(SyncRun)) == 0


def test_an_account_from_another_site_cannot_be_run_here(logged_in, pushing_site, subscriber):
    other_site = factories.site(subscriber, name="Second store")
    other_link = embedded_factories.site_link(pushing_site.account, other_site, sync_orders=True)
    db.session.commit()
    response = logged_in.htmx("post", f"/embedded-services/sites/{pushing_site.site.id}/links/{other_link.id}/sync-orders")
    assert response.status_code == 404
