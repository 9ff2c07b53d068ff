"""Two admins acting on one order at the same moment, from two OS processes (as two gunicorn
workers would): exactly one wins, the other is told it is already done. On PostgreSQL and on
SQLite, where ``SELECT ... FOR UPDATE`` is silently ignored. Recording a payment, and
approving an item (the item actions' shared path).

The race is made certain rather than likely: each process, once inside the action with the
order loaded, waits until the other process has either got there too (both hold the order as
it was: the lost update) or is asking for the order's lock (``SELECT ... FOR UPDATE`` on
PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), and only then goes on. So without a lock both win
every time, and with one the wait ends at once.
"""

from __future__ import annotations

import multiprocessing
import queue

from portal.extensions import db
from portal.models import Order, OrderItem
from tests import factories

TIMEOUT = 60


def test_two_admins_recording_a_payment_at_once_one_wins(admin, subscriber):
    order = factories.order(factories.site(subscriber), number="80001", paid=False)
    db.session.commit()

    answers = _in_two_processes(admin.email, f"/orders/{order.id}/payment", {"method": "check"}, "record_payment")

    assert sorted(status for status, _ in answers) == [302, 422], answers
    (refused,) = [text for status, text in answers if status == 422]
    assert "Order 80001 is already paid." in refused
    db.session.expire_all()
    assert db.session.get(Order, order.id).payment_status == "paid"


def test_two_admins_approving_an_item_at_once_one_wins(admin, subscriber):
    order = factories.order(factories.site(subscriber), paid=True, items=[{"approval": "pending"}])
    db.session.commit()
    item = order.items[0]

    answers = _in_two_processes(admin.email, f"/orders/{order.id}/items/{item.id}/approval", {"decision": "approve"},
                                "decide_item")

    assert sorted(status for status, _ in answers) == [302, 409], answers
    (refused,) = [text for status, text in answers if status == 409]
    assert "Item #1 is already approved." in refused
    db.session.expire_all()
    assert db.session.get(OrderItem, item.id).approval == "approved"


def _in_two_processes(email: str, url: str, data: dict, action: str) -> list[tuple[int, str]]:
    """Both processes POST ``data`` to ``url``; ``action`` names the portal.domain.order_actions
    function the view calls once it holds the order."""
    # spawn, not fork: each process builds its own app, engine and connections, like a web worker.
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    reached = {name: context.Event() for name in ("first", "second")}
    results = context.Queue()
    processes = [
        context.Process(target=_admin_process, args=(name, other, email, url, data, action, start, reached, results))
        for name, other in (("first", "second"), ("second", "first"))
    ]
    for process in processes:
        process.start()
    try:
        answers = []
        for _ in processes:
            try:
                outcome = results.get(timeout=TIMEOUT)
            except queue.Empty:
                raise AssertionError("an admin process did not answer") from None
            assert not isinstance(outcome, str), outcome  # a traceback from the process
            answers.append(outcome)
        return answers
    finally:
        for process in processes:
            process.join(timeout=TIMEOUT)
            if process.is_alive():
                process.kill()


def _admin_process(name, other, email, url, data, action, start, reached, results) -> None:
    """One admin in a process of its own: sign in, line up with the other, act."""
    import traceback

    try:
        results.put(_sign_in_and_act(name, other, email, url, data, action, start, reached))
    except BaseException:
        results.put(f"{name}: {traceback.format_exc()}")


def _sign_in_and_act(name, other, email, url, data, action, start, reached) -> tuple[int, str]:
    from sqlalchemy import event

    from portal import create_app
    from portal.domain import order_actions
    from tests.conftest import PortalClient

    app = create_app({"SERVER_NAME": "portal.test"})
    app.test_client_class = PortalClient
    client = app.test_client()
    with app.app_context():
        engine = db.engine
    client.post("/auth/login", data={"email": email, "password": factories.PASSWORD})
    # The form's token now, so nothing but the action itself happens after the line-up.
    headers = {"X-CSRFToken": client.csrf_token()}

    def asking_for_the_lock(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("BEGIN IMMEDIATE") or "FOR UPDATE" in statement:
            reached[name].set()

    act = getattr(order_actions, action)

    def act_once_the_other_has_come_this_far(*args, **kwargs):
        reached[name].set()
        assert reached[other].wait(TIMEOUT), "the other process neither got here nor asked for the lock"
        return act(*args, **kwargs)

    event.listen(engine, "before_cursor_execute", asking_for_the_lock)
    setattr(order_actions, action, act_once_the_other_has_come_this_far)
    start.wait(TIMEOUT)
    response = client.post(url, data=data, csrf=False, headers=headers)
    with app.app_context():
        db.engine.dispose()
    return response.status_code, response.get_data(as_text=True)
