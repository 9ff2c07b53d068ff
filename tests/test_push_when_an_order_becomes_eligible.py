"""An order that clears its last integration rule is pushed, through a real worker, to every account
of its site whose Synchronize Orders is on: after a payment, after the last approval, after the
last eDocBuilder file is ready. The state is in the database; the order is in the emulator once.
"""

from __future__ import annotations

import pytest

from portal.extensions import db
from tests import embedded_factories, factories
from tests.fixtures.push import integration_of, partner_orders_for, wait_for_push


@pytest.fixture(autouse=True)
def _worker(rq_worker):
    return rq_worker


def test_recording_the_payment_pushes_the_order(logged_in, pushing_site, presswise):
    order = factories.order(pushing_site.site, items=2)
    db.session.commit()
    assert integration_of(order, pushing_site.account) is None, "unpaid: nothing is queued"

    logged_in.post(f"/orders/{order.id}/payment", data={"method": "check"})

    row = wait_for_push(order, pushing_site.account)
    assert row.state == "pushed", row.last_error
    (stored,) = partner_orders_for(presswise, order)
    assert row.partner_order_id == str(stored["id"])
    assert set(row.partner_job_ids) == {"1", "2"}
    assert row.partner_status == "AUTO New"
    assert [attempt.outcome for attempt in row.attempts] == ["pushed"]
    assert row.attempts[0].who == "Automatic"


def test_approving_the_last_item_pushes_the_order(logged_in, pushing_site, presswise):
    order = factories.order(pushing_site.site, paid=True, items=[{}, {"approval": "pending"}])
    db.session.commit()
    logged_in.post(f"/orders/{order.id}/items/{order.items[1].id}/approval", data={"decision": "approve"})
    assert wait_for_push(order, pushing_site.account).state == "pushed"
    assert len(partner_orders_for(presswise, order)) == 1


def test_the_last_edoc_file_ready_pushes_the_order(logged_in, pushing_site, presswise):
    order = factories.order(pushing_site.site, paid=True, items=[{"is_edoc": True}])
    db.session.commit()
    logged_in.post(f"/orders/{order.id}/items/{order.items[0].id}/edoc-ready")
    assert wait_for_push(order, pushing_site.account).state == "pushed"
    assert len(partner_orders_for(presswise, order)) == 1


def test_a_change_that_leaves_a_rule_unmet_queues_nothing(logged_in, pushing_site, presswise):
    order = factories.order(pushing_site.site, items=[{"approval": "pending"}])
    db.session.commit()
    logged_in.post(f"/orders/{order.id}/payment", data={"method": "check"})
    assert integration_of(order, pushing_site.account) is None
    assert partner_orders_for(presswise, order) == []


def test_only_accounts_whose_synchronize_orders_is_on_get_the_order(logged_in, pushing_site, presswise):
    switched_off = embedded_factories.account(pushing_site.subscriber, name="Older integration", url=presswise.url)
    embedded_factories.site_link(switched_off, pushing_site.site, sync_orders=False)
    order = factories.order(pushing_site.site)
    db.session.commit()
    logged_in.post(f"/orders/{order.id}/payment", data={"method": "check"})
    assert wait_for_push(order, pushing_site.account).state == "pushed"
    assert integration_of(order, switched_off) is None, "Synchronize Orders off: nothing is pushed there"


def test_the_site_user_gets_a_partner_login_once(logged_in, pushing_site, presswise):
    user = factories.site_user(pushing_site.site)
    first, second = factories.order(pushing_site.site, user=user), factories.order(pushing_site.site, user=user)
    db.session.commit()
    for order in (first, second):
        logged_in.post(f"/orders/{order.id}/payment", data={"method": "check"})
        assert wait_for_push(order, pushing_site.account).state == "pushed"
    assert len(presswise.users()) == 1
    (stored_first,), (stored_second,) = partner_orders_for(presswise, first), partner_orders_for(presswise, second)
    assert stored_first["user_id"] == stored_second["user_id"] == str(presswise.users()[0]["id"])


def test_an_order_that_arrives_eligible_is_pushed(app, pushing_site, presswise):
    model = factories.order(pushing_site.site, paid=True, number="W-100")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["demo", "place-order", "--site", "Main store"])
    assert result.exit_code == 0, result.output
    assert "Placed order W-101" in result.output and "eligible" in result.output
    from portal.models import Order
    from sqlalchemy import select

    arrived = db.session.scalar(select(Order).where(Order.number == "W-101"))
    assert arrived is not None and arrived.id != model.id
    assert wait_for_push(arrived, pushing_site.account).state == "pushed"
    assert len(partner_orders_for(presswise, arrived)) == 1


def test_an_order_that_arrives_unpaid_waits(app, pushing_site, presswise):
    factories.order(pushing_site.site, paid=True, number="W-200")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["demo", "place-order", "--site", "Main store", "--unpaid"])
    assert result.exit_code == 0, result.output
    assert "held back: The order is not paid" in result.output
    from portal.models import Order
    from sqlalchemy import select

    assert integration_of(db.session.scalar(select(Order).where(Order.number == "W-201")), pushing_site.account) is None
