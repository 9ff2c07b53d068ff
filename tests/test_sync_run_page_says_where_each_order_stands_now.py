"""An order run records what happened during the run; a push that failed for a passing reason goes
on by itself afterwards. Its page says where each order stands now, and how many of the orders
that failed during the run are in PressWise since, so "540 failed" does not send an admin hunting
for orders that are long pushed."""

from __future__ import annotations

from portal.extensions import db
from portal.models import OrderIntegration, SyncOutcome
from portal.models.types import utcnow
from tests import embedded_factories, factories
from tests.conftest import soup


def test_the_run_page_shows_each_orders_push_state_now(logged_in, subscriber):
    embedded_factories.authorize(subscriber)
    site = factories.site(subscriber, name="Main store")
    account = embedded_factories.account(subscriber, name="PressWise A")
    link = embedded_factories.site_link(account, site, sync_orders=True)
    retried, still_failing, sent = (factories.order(site, paid=True, number=n) for n in ("R-1", "R-2", "R-3"))
    run = embedded_factories.sync_run(link, kind="orders", total=3, done=3, pushed=1, failed=2)
    now = utcnow()
    for order, outcome, state in ((retried, "failed", "pushed"), (still_failing, "failed", "retrying"),
                                  (sent, "pushed", "pushed")):
        db.session.add(SyncOutcome(run_id=run.id, order_id=order.id, outcome=outcome, detail="…"))
        db.session.add(OrderIntegration(order_id=order.id, account_id=account.id, state=state, partner_job_ids={},
                                        attempt_count=2, created_at=now, updated_at=now))
    db.session.commit()

    page = soup(logged_in.get(f"/embedded-services/sites/{site.id}/runs/{run.id}"))

    rows = {row.select_one(".order-link").get_text(): (row.select_one(".badge").get_text(),
                                                      row.select_one(".now-state").get_text(strip=True))
            for row in page.select("table.outcomes tbody tr")}
    assert rows == {"R-1": ("Failed", "Pushed"), "R-2": ("Failed", "Retrying"), "R-3": ("Pushed", "Pushed")}
    assert "1 of the 2 orders that failed during the run is in PressWise now" in page.select_one(".failed-since").get_text()


def test_a_status_run_page_has_no_push_column(logged_in, subscriber):
    embedded_factories.authorize(subscriber)
    site = factories.site(subscriber, name="Main store")
    link = embedded_factories.site_link(embedded_factories.account(subscriber, name="PressWise A"), site)
    order = factories.order(site, paid=True)
    run = embedded_factories.sync_run(link, kind="status", total=1, done=1, updated=1)
    db.session.add(SyncOutcome(run_id=run.id, order_id=order.id, outcome="updated", detail="Shipped"))
    db.session.commit()

    page = soup(logged_in.get(f"/embedded-services/sites/{site.id}/runs/{run.id}"))

    assert page.select("table.outcomes tbody tr") and not page.select(".now-state")
    assert page.select_one(".failed-since") is None
