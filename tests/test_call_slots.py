"""The per-account cap on partner calls in flight (a semaphore in Redis)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from redis import Redis

from portal.integration.slots import _ACQUIRE, CallSlots
from portal.partners.base import PartnerTransientError
from portal.queue import redis_connection


def _slots(account_id: int, cap: int, **options) -> CallSlots:
    options.setdefault("hold_seconds", 10)
    options.setdefault("max_wait", 10)
    slots = CallSlots(redis_connection(), account_id, cap, **options)
    redis_connection().delete(slots.holders_key, slots.waiters_key)
    return slots


def test_never_more_calls_in_flight_than_the_cap(app):
    slots = _slots(9001, 3)
    lock, now, peak = threading.Lock(), [0], [0]

    def call(_):
        with slots.slot(bulk=True):
            with lock:
                now[0] += 1
                peak[0] = max(peak[0], now[0])
            time.sleep(0.03)
            with lock:
                now[0] -= 1

    with ThreadPoolExecutor(10) as pool:
        list(pool.map(call, range(30)))
    assert peak[0] == 3
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


def test_without_redis_calls_go_ahead_uncapped(app):
    slots = CallSlots(Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2), 9004, 1,
                      hold_seconds=1, max_wait=1)
    with slots.slot():
        with slots.slot():
            pass
