"""``flask sync orders|status`` on the command line: the same code as the buttons, a progress bar, the
counts, and an exit status that says whether anything failed."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import SyncRun
from tests import factories
from tests.fixtures.push import partner_orders_for
from tests.sync_helpers import eligible_orders


def _sync(app, *args):
    """``flask sync …`` in this process, in an app context (and database session) of its own as on a
    terminal; ``output`` holds stdout and stderr (the progress bar) together."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=["sync", *args])


def test_flask_sync_orders_runs_the_same_code_with_a_progress_bar(app, pushing_site, presswise):
    orders = eligible_orders(pushing_site.site, 5, prefix="L")
    factories.order(pushing_site.site, number="L-unpaid")
    db.session.commit()

    dry = _sync(app, "orders", "--site", "Main store", "--account", "Emulator", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "5 would be pushed, 0 would be adopted, 1 skipped, 0 failed" in dry.output
    assert presswise.calls("add_purchase_order") == []

    result = _sync(app, "orders", "--site", str(pushing_site.site.id), "--account", str(pushing_site.account.id))
    assert result.exit_code == 0, result.output
    assert "6 of 6 orders" in result.output and "5 pushed, 0 adopted, 1 skipped, 0 failed" in result.output
    for order in orders:
        assert len(partner_orders_for(presswise, order)) == 1
    run = db.session.scalars(select(SyncRun).order_by(SyncRun.id.desc())).first()
    assert run.trigger == "cli" and run.who.startswith("Command line")

    status = _sync(app, "status", "--site", "Main store", "--account", "Emulator")
    assert status.exit_code == 0, status.output
    assert "5 of 5 orders" in status.output


def test_flask_sync_exits_non_zero_when_anything_failed_or_it_cannot_start(app, pushing_site, presswise):
    factories.order(pushing_site.site, paid=True, number="M-1")
    db.session.commit()
    presswise.inject_fault("respond", operation="add_purchase_order",
                           body="<x><add_purchase_orderResponse><result><status><code>2</code>"
                                "<text>customerID is invalid</text></status></result></add_purchase_orderResponse></x>")
    failed = _sync(app, "orders", "--site", "Main store", "--account", "Emulator")
    assert failed.exit_code == 1, failed.output
    assert "1 failed" in failed.output

    pushing_site.link.sync_orders = False
    db.session.commit()
    refused = _sync(app, "orders", "--site", "Main store", "--account", "Emulator")
    assert refused.exit_code == 2 and "Synchronize Orders is off" in refused.output
    unknown = _sync(app, "status", "--site", "Nowhere", "--account", "Emulator")
    assert unknown.exit_code != 0 and "No site" in unknown.output


def test_the_demo_walk_through_from_push_to_tracking_number(app, logged_in, pushing_site, presswise, monkeypatch):
    """What the README's demo does: synchronize orders, PressWise ships one (``flask demo ship-order``),
    synchronize status, and the tracking number is on the order."""
    from tests.conftest import soup

    (order,) = eligible_orders(pushing_site.site, 1, prefix="D")
    db.session.commit()
    assert _sync(app, "orders", "--site", "Main store", "--account", "Emulator").exit_code == 0
    monkeypatch.setenv("EMULATOR_CONTROL_TOKEN", presswise.process.control_token)
    with app.app_context():
        shipped = app.test_cli_runner().invoke(args=["demo", "ship-order", order.number, "--tracking", "1ZDEMO123"])
    assert shipped.exit_code == 0, shipped.output
    assert "Shipped" in shipped.output and "1ZDEMO123" in shipped.output
    assert _sync(app, "status", "--site", "Main store", "--account", "Emulator").exit_code == 0

    page = soup(logged_in.get(f"/orders/{order.id}"))
    assert [td.get_text(strip=True) for td in page.select(".shipments-table td.tracking")] == ["1ZDEMO123"]
    assert page.select_one(".item-status").get_text(strip=True) == "Shipped"
    with app.app_context():
        unknown = app.test_cli_runner().invoke(args=["demo", "ship-order", "NOPE-1"])
    assert unknown.exit_code != 0 and "not in PressWise yet" in unknown.output
