"""Four worker processes, an Order Synchronization run and an admin's Push Order clicks, all at once,
over the same orders: PressWise gets each order once, and every order ends pushed or adopted.

The orders become eligible one after another (the storefront's events queue their pushes), while
the admin starts Order Synchronization on the site tab (its run pushes every order it finds not
yet in PressWise, reconciling first) and presses Push Order on a few hundred orders, some twice in
a row. Only the claim stands between them and a duplicate. The emulator answers at once, so the
races are as tight as the machine allows.
"""

from __future__ import annotations

from portal.extensions import db
from tests.faults.conftest import eligible_orders, fault_orders, figures


def test_four_workers_a_sync_run_and_push_order_clicks_make_each_order_once(
        portal_under_load, pushing_site, presswise):
    orders = eligible_orders(pushing_site.site, fault_orders())
    pushing_site.account.max_concurrent_calls = 8
    db.session.commit()
    portal = portal_under_load.start(push_workers=4)

    run_id, clicks, elapsed = portal.morning_rush(orders, pushing_site.link, clicks=len(orders) // 4, timeout=300)

    run = portal.run(run_id)
    result = figures("race", orders, pushing_site.account, presswise, elapsed, workers=4,
                     clicks=sum(clicks.statuses.values()), run=f"{run.state}:{run.done}/{run.total}",
                     run_pushed=run.pushed, run_adopted=run.adopted, run_failed=run.failed,
                     failed_jobs=len(portal.failed_jobs()), rate=f"{len(orders) / elapsed:.1f}/s")
    result.report()

    assert clicks.errors == [], clicks.errors[:5]
    assert result.duplicates == 0
    assert result.lost == [], result.lost[:10]
    assert result.in_presswise == len(orders)
    assert set(result.states) <= {"pushed", "adopted"}, result.states
    assert run.state == "finished" and run.done == run.total == len(orders)
    assert run.failed == 0
    assert portal.failed_jobs() == []
    assert "database is locked" not in portal.logs()
    assert len(presswise.users()) == 25, "one PressWise login per site user, however many pushes raced"
