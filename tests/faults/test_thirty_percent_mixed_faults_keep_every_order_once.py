"""The same race as in the race test, while PressWise fails 30% of all calls in every way it can: HTTP 500,
status code 9, a call held until the deadline, a connection closed without an answer, an order stored and then
no answer, a malformed answer. Every call may fail: ``find_orders``, ``create_user``, ``add_purchase_order``.

What must hold: no order twice in PressWise; every order pushed, adopted (it was stored though the
answer was lost), or failed with its reason; and, once PressWise is healthy again, the admin's
Monday: Push Order on each failed order gets it in, still once.
"""

from __future__ import annotations

import time

from sqlalchemy import select

from portal.extensions import db
from portal.models import OrderIntegration
from tests.faults.conftest import eligible_orders, fault_orders, figures

FAULTS = ("http500", "code9", "hang", "close", "store_then_hang", "malformed")
FAILING = 0.30
# Each fault is drawn on its own: 1 - (1 - p)^6 = 30% of calls fail.
EACH = 1 - (1 - FAILING) ** (1 / len(FAULTS))


def test_thirty_percent_mixed_faults_lose_nothing_and_send_nothing_twice(portal_under_load, pushing_site, presswise):
    orders = eligible_orders(pushing_site.site, fault_orders())
    pushing_site.account.max_concurrent_calls = 8
    db.session.commit()
    for kind in FAULTS:
        presswise.inject_fault(kind, fraction=EACH, seconds=3)  # a hang outlasts the 2 s deadline
    portal = portal_under_load.start(push_workers=4)

    started = time.monotonic()
    run_id, clicks, elapsed = portal.morning_rush(orders, pushing_site.link, clicks=len(orders) // 10, timeout=900)

    calls = presswise.calls()
    faulted = sum(1 for call in calls if call.get("fault"))
    run = portal.run(run_id)
    result = figures("mixed-faults", orders, pushing_site.account, presswise, elapsed, workers=4,
                     calls=len(calls), faulted=faulted, clicks=sum(clicks.statuses.values()),
                     run=f"{run.state}:{run.done}/{run.total}", run_failed=run.failed,
                     failed_jobs=len(portal.failed_jobs()))
    result.report()

    assert clicks.errors == [], clicks.errors[:5]
    assert result.duplicates == 0
    assert result.lost == [], result.lost[:10]
    assert result.states.get("adopted", 0) > 0, "no stored-then-lost answer was reconciled: nothing was proven"
    assert 0.2 < faulted / len(calls) < 0.4, f"{faulted} of {len(calls)} calls failed"
    assert run.state == "finished" and run.done == run.total == len(orders)
    assert portal.failed_jobs() == []
    assert "database is locked" not in portal.logs()

    # PressWise is well again: the admin presses Push Order on every failed order.
    presswise.clear_faults()
    failed = db.session.scalars(select(OrderIntegration.order_id).where(
        OrderIntegration.account_id == pushing_site.account.id, OrderIntegration.state == "failed")).all()
    db.session.commit()
    client = portal.client()
    for order_id in failed:
        response = client.htmx("post", f"/orders/{order_id}/embedded-services/{pushing_site.account.id}/push")
        assert response.status_code == 200, response.text
    portal.wait_until_done(pushing_site.account, None, timeout=120)
    after = figures("mixed-faults-then-push-order", orders, pushing_site.account, presswise,
                    time.monotonic() - started, pressed=len(failed))
    after.report()

    assert after.duplicates == 0
    assert after.lost == []
    assert set(after.states) <= {"pushed", "adopted"}, after.states
    assert after.in_presswise == len(orders)
