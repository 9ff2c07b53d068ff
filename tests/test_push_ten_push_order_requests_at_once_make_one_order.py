"""Ten admins (ten signed-in clients) press Push Order for one order at the same instant: PressWise gets
the order once, and the row has one attempt, whether the site pushes automatically or not.

The requests are real requests through the app (each in its own thread, app context and database
session), released together by a barrier; a real worker does the push.
"""

from __future__ import annotations

import threading
import time

import pytest

from portal.extensions import db
from tests import factories
from tests.fixtures.push import duplicates_in_partner, partner_orders_for, wait_for_push

REQUESTS = 10


@pytest.fixture(autouse=True)
def _worker(rq_worker, no_push_jobs_left):
    return rq_worker


@pytest.mark.parametrize("sync_orders", [False, True], ids=["synchronize-orders-off", "synchronize-orders-on"])
def test_ten_push_order_requests_at_once_make_one_order(app, admin, pushing_site, presswise, sync_orders):
    pushing_site.link.sync_orders = sync_orders
    order = factories.order(pushing_site.site, paid=True, items=2)
    db.session.commit()
    clients = []
    for _ in range(REQUESTS):
        client = app.test_client()
        client.login(admin)
        clients.append(client)
    # The partner answers a little slowly, so some clicks land while the first push is being sent.
    presswise.set_latency(200)

    url = f"/orders/{order.id}/embedded-services/{pushing_site.account.id}/push"
    barrier = threading.Barrier(REQUESTS)
    answers: list = [None] * REQUESTS

    def press(index: int) -> None:
        barrier.wait(timeout=30)
        try:
            answers[index] = clients[index].post(url, data={"confirm": "yes"})
        except Exception as error:  # noqa: BLE001 - shown by the assertion below
            answers[index] = error

    started = time.monotonic()
    threads = [threading.Thread(target=press, args=(i,), name=f"push-order-{i}") for i in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a Push Order request did not return"
    problems = [a if isinstance(a, Exception) else f"HTTP {a.status_code}" for a in answers
                if isinstance(a, Exception) or a.status_code != 302]
    assert not problems, f"every Push Order is answered (redirect to the panel): {problems}"

    row = wait_for_push(order, pushing_site.account)
    elapsed = time.monotonic() - started
    stored = partner_orders_for(presswise, order)
    sends = [c for c in presswise.calls("add_purchase_order") if c["source_order_id"] == order.number]
    print(f"orders={len(stored)} duplicates={duplicates_in_partner(presswise)} "
          f"add_purchase_order_calls={len(sends)} attempts={row.attempt_count} elapsed={elapsed:.2f}s")

    assert row.state == "pushed", row.last_error
    assert len(stored) == 1, f"PressWise has order {order.number} {len(stored)} times"
    assert len(sends) == 1
    assert row.partner_order_id == str(stored[0]["id"])
    assert [attempt.outcome for attempt in row.attempts] == ["pushed"]
    assert row.attempts[0].who == admin.name
    if not sync_orders:
        # Off: the worker asked PressWise before sending (it could have come from an older integration).
        assert [c["source_order_id"] for c in presswise.calls("find_orders")] == [order.number]
