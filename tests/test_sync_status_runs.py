"""Order Status Synchronization through a real worker and the emulator: item statuses through the
account's mapping, unmapped statuses flagged, shipments added once, tracking numbers on the order."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import OrderItem, Shipment
from tests.conftest import soup
from tests.fixtures.push import integration_of
from tests.sync_helpers import eligible_orders, outcomes_of, run_to_the_end


@pytest.fixture(autouse=True)
def _worker(rq_worker):
    return rq_worker


@pytest.fixture
def pushed(logged_in, pushing_site, presswise):
    """Three two-item orders pushed by an Order Synchronization; their PressWise rows by number."""
    orders = eligible_orders(pushing_site.site, 3, prefix="T", items=2)
    db.session.commit()
    run = run_to_the_end(logged_in, pushing_site.link, "orders")
    assert run.pushed == 3, run.message
    return {order.number: (order, integration_of(order, pushing_site.account)) for order in orders}


def _statuses(order):
    db.session.expire_all()
    return [item.status for item in db.session.scalars(
        select(OrderItem).where(OrderItem.order_id == order.id).order_by(OrderItem.number))]


def _shipments():
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Shipment))


def test_statuses_map_shipments_arrive_once_and_unmapped_statuses_are_flagged(
        logged_in, pushing_site, presswise, pushed):
    pushing_site.account.status_mapping = {"Prepress Review": "On Hold"}  # this account's own reading
    db.session.commit()
    (shipped, shipped_row), (mixed, mixed_row), (custom, custom_row) = (pushed[n] for n in ("T-0000", "T-0001", "T-0002"))
    presswise.set_order_status(shipped_row.partner_order_id, "Shipped")
    presswise.add_shipment(shipped_row.partner_order_id, tracking_number="1Z999AA10123456784", carrier="UPS",
                           ship_date="2026-11-04")  # no job named: every item
    presswise.set_order_status(mixed_row.partner_order_id, "Prepress Review")
    presswise.set_job_status(mixed_row.partner_job_ids["1"], "Production")
    presswise.add_shipment(mixed_row.partner_order_id, source_job_id="1", tracking_number="TRACK-ONE",
                           carrier="FedEx")
    presswise.set_order_status(custom_row.partner_order_id, "Waiting on Paper")

    run = run_to_the_end(logged_in, pushing_site.link, "status")

    assert (run.state, run.total, run.done, run.updated, run.unmapped, run.failed) == ("finished", 3, 3, 3, 1, 0)
    assert _statuses(shipped) == ["Shipped", "Shipped"]
    assert _statuses(mixed) == ["In Production", "On Hold"], "job status, then the order's through the override"
    assert _statuses(custom) == ["Received", "Received"], "an unmapped status keeps the items"
    assert integration_of(custom, pushing_site.account).partner_status == "Waiting on Paper"
    outcomes = outcomes_of(run)
    assert outcomes["T-0002"].flagged and "Waiting on Paper" in outcomes["T-0002"].detail
    assert not outcomes["T-0000"].flagged and "1Z999AA10123456784" in outcomes["T-0000"].detail
    assert _shipments() == 3

    page = soup(logged_in.get(f"/orders/{shipped.id}"))
    assert [td.get_text(strip=True) for td in page.select(".shipments-table td.tracking")] == ["1Z999AA10123456784"] * 2
    page = soup(logged_in.get(f"/orders/{mixed.id}"))
    assert [td.get_text(strip=True) for td in page.select(".shipments-table td.tracking")] == ["TRACK-ONE"]
    tab = soup(logged_in.get(f"/orders/{custom.id}/embedded-services"))
    assert "Waiting on Paper" in tab.select_one(".partner-status").get_text(), "the unmapped status shows on the order"
    run_page = soup(logged_in.get(f"/embedded-services/sites/{pushing_site.site.id}/runs/{run.id}?outcome=unmapped"))
    assert [a.get_text() for a in run_page.select("tr.outcome a.order-link")] == ["T-0002"]

    again = run_to_the_end(logged_in, pushing_site.link, "status")
    assert (again.done, again.updated, again.unmapped) == (3, 0, 1)
    assert _shipments() == 3, "a status sync run twice adds no shipment twice"
    assert {o.outcome for o in outcomes_of(again).values()} == {"unchanged"}


def test_a_new_shipment_is_added_on_the_next_run(logged_in, pushing_site, presswise, pushed):
    order, row = pushed["T-0000"]
    presswise.add_shipment(row.partner_order_id, source_job_id="2", tracking_number="FIRST")
    run_to_the_end(logged_in, pushing_site.link, "status")
    presswise.add_shipment(row.partner_order_id, source_job_id="2", tracking_number="SECOND")
    run = run_to_the_end(logged_in, pushing_site.link, "status")
    assert run.updated == 1
    db.session.expire_all()
    numbers = db.session.scalars(select(Shipment.tracking_number).join(OrderItem)
                                 .where(OrderItem.order_id == order.id).order_by(Shipment.id)).all()
    assert numbers == ["FIRST", "SECOND"]


def test_an_order_presswise_does_not_know_fails_alone(logged_in, pushing_site, presswise, pushed):
    _, row = pushed["T-0001"]
    row.partner_order_id = "999999"
    db.session.commit()
    run = run_to_the_end(logged_in, pushing_site.link, "status")
    assert run.state == "finished" and run.failed == 1 and run.done == 3
    assert "code 3" in outcomes_of(run)["T-0001"].detail
