"""The per-account cap on partner calls in flight (a semaphore in Redis), on its own and across a sync
run in a worker and single pushes in another process at the same moment."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from redis import Redis

from portal.extensions import db
from portal.integration.slots import _ACQUIRE, CallSlots, CappedPartner
from portal.partners.base import PartnerTransientError
from portal.queue import redis_connection
from tests import factories
from tests.fixtures.push import partner_orders_for, wait_for_push
from tests.sync_helpers import days_ago, eligible_orders, fragment_of, follow, start


def _slots(account_id: int, cap: int, **options) -> CallSlots:
    options.setdefault("hold_seconds", 10)
    options.setdefault("max_wait", 10)
    slots = CallSlots(redis_connection(), account_id, cap, **options)
    redis_connection().delete(slots.holders_key, slots.waiters_key)
    return slots


class _InFlight:
    """Calls that last a while, counted while they last: how many at once, and the most there ever were."""

    def __init__(self):
        self.lock, self.now, self.peak = threading.Lock(), 0, 0

    def call(self, seconds: float) -> None:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        time.sleep(seconds)
        with self.lock:
            self.now -= 1


def test_never_more_calls_in_flight_than_the_cap(app):
    slots = _slots(9001, 3)
    in_flight = _InFlight()

    def call(_):
        with slots.slot(bulk=True):
            in_flight.call(0.03)

    with ThreadPoolExecutor(10) as pool:
        list(pool.map(call, range(30)))
    assert in_flight.peak == 3
    assert slots.in_flight() == 0


def test_a_slot_of_a_process_that_died_frees_itself(app):
    slots = _slots(9002, 1, hold_seconds=0.3, max_wait=0)
    slots._acquire(bulk=False)  # taken and never given back, as by a killed worker
    with pytest.raises(PartnerTransientError):
        with slots.slot():
            pass
    time.sleep(0.35)
    with slots.slot():
        assert slots.in_flight() == 1


def test_bulk_calls_leave_a_slot_to_a_single_push_that_waits(app):
    slots = _slots(9003, 1, max_wait=0)
    connection = redis_connection()

    def ask(token, bulk):
        return connection.eval(_ACQUIRE, 2, slots.holders_key, slots.waiters_key, token, 1, 10_000, 1_500,
                               "1" if bulk else "0")

    assert ask("run-1", bulk=True) == 1
    assert ask("push", bulk=False) == 0, "busy: the single push waits (and says so)"
    connection.zrem(slots.holders_key, "run-1")
    assert ask("run-2", bulk=True) == 0, "a run gives way to the waiting push"
    assert ask("push", bulk=False) == 1
    connection.zrem(slots.holders_key, "push")
    assert ask("run-2", bulk=True) == 1, "nobody waits any more"


def test_without_redis_calls_go_ahead_capped_within_the_process(app):
    slots = CallSlots(Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2), 9004, 2,
                      hold_seconds=1, max_wait=0.2)
    with slots.slot():
        with slots.slot():
            with pytest.raises(PartnerTransientError):
                with slots.slot():
                    pass


def test_the_cap_holds_across_a_sync_run_and_single_pushes(app, rq_worker, logged_in, pushing_site, presswise):
    from portal.domain.push import Trigger
    from portal.integration.push import request_push, run_push

    account = pushing_site.account
    account.max_concurrent_calls = 2
    eligible_orders(pushing_site.site, 8, prefix="R")
    # Older than the run's window: only the single pushes send these.
    singles = [factories.order(pushing_site.site, paid=True, number=f"P-{n}", placed_at=days_ago(40)) for n in range(3)]
    db.session.commit()
    redis_connection().delete(f"portal:partner-calls:{account.id}", f"portal:partner-calls:{account.id}:waiting")
    ids = [request_push(order, account, trigger=Trigger.MANUAL).integration_id for order in singles]
    db.session.commit()
    presswise.set_latency(150)

    fragment = fragment_of(start(logged_in, pushing_site.link, "orders"))
    time.sleep(0.3)  # the run is under way in the worker

    def push(integration_id):
        with app.app_context():
            return run_push(integration_id)

    with ThreadPoolExecutor(3) as pool:  # three Push Order clicks handled by another process meanwhile
        states = list(pool.map(push, ids))
    follow(logged_in, fragment)

    assert states == ["pushed"] * 3
    for order in singles:
        assert wait_for_push(order, account).state == "pushed" and len(partner_orders_for(presswise, order)) == 1
    assert presswise.state()["peak_waiting_calls"] == 2


class _Recorder:
    """A partner client whose one call records how many are in flight at once."""

    def __init__(self, seconds: float):
        self.seconds, self.lock, self.now, self.peak, self.calls = seconds, threading.Lock(), 0, 0, 0

    def test_connection(self) -> None:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        time.sleep(self.seconds)
        with self.lock:
            self.now -= 1
            self.calls += 1


def test_clients_sharing_a_turn_make_one_call_at_a_time(app):
    """A backlog round's two lanes share a turn: the account's cap allows 4 calls, the turn one."""
    recorder, turn = _Recorder(0.02), threading.Lock()
    clients = [CappedPartner(recorder, _slots(9005, 4), turn=turn) for _ in range(2)]

    def lane(client):
        for _ in range(10):
            client.test_connection()

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lane, clients))
    assert (recorder.calls, recorder.peak) == (20, 1)
    assert not turn.locked()


def test_a_call_waiting_for_its_turn_past_its_lease_is_not_made(app):
    recorder, turn = _Recorder(0), threading.Lock()
    client = CappedPartner(recorder, _slots(9006, 4), turn=turn, calls_end_by=time.monotonic() + 1.2, call_deadline=1)
    turn.acquire()  # the other lane's call, still under way
    try:
        with pytest.raises(PartnerTransientError, match="nothing was sent"):
            client.test_connection()
    finally:
        turn.release()
    assert recorder.calls == 0


def test_threads_that_give_up_waiting_leave_no_slot_taken(app):
    """Many threads, a cap of 2, and waits so short that many give up: whatever the interleaving,
    every slot is given back in Redis at the end and none was ever held beyond the cap."""
    slots = _slots(9006, 2)
    in_flight, gave_up = _InFlight(), []

    def call(n):
        try:
            with slots.slot(bulk=True, max_wait=0.01 + (n % 7) * 0.005):
                in_flight.call(0.01)
        except PartnerTransientError:
            gave_up.append(n)

    with ThreadPoolExecutor(12) as pool:
        list(pool.map(call, range(300)))
    assert gave_up, "no thread gave up: the test did not exercise that path"
    assert in_flight.peak == 2
    assert slots.in_flight() == 0
