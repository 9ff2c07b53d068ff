"""At most N partner calls in flight per account, across every process: runs and single pushes together.

A counting semaphore in Redis, one sorted set per account: each call in flight is a member
(a random token) scored with the moment its slot expires, so a process killed mid-call
frees its slot once the call's deadline has passed. One Lua script takes a slot (dropping
expired ones first, on Redis's own clock); releasing is one ZREM.

Why not RQ's ``rate_limit`` (RQ 3.0)? It limits how many *jobs* with one key run at once. A sync
run is one job making thousands of calls from a thread pool, and a push job makes up to three
calls: the partner sees calls, not jobs, so the cap is taken around each call.

Interactive work goes first: a single push (someone may be watching the order page) that finds
no slot registers as *waiting* for a second or so, and bulk callers (sync runs) leave a slot
free for each waiter, so a long run never starves a Push Order click.

Within one process the calls first queue on a plain semaphore of the same size: a thread whose
call ends hands its place to the next at once, instead of that one finding the slot free on its
next look at Redis (a sync run keeps more threads than slots, so that while some write to the
database the others keep every slot busy).

If Redis cannot be reached the call goes ahead uncapped (logged): the cap protects the
partner from bursts, it is not what keeps orders exactly-once (the claim is).
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import threading
import time
from contextlib import contextmanager

from redis.exceptions import RedisError

from portal.partners.base import PartnerTransientError

log = logging.getLogger(__name__)


class CallNotMade(PartnerTransientError):
    """The portal did not start the call (no slot in time, or too little of a push's claim left):
    nothing was sent, and the partner never saw it, so it says nothing about the account."""


KEY_PREFIX = "portal:partner-calls"
WAITING_TTL_MS = 1500  # a waiter that stops asking (its process died) counts no longer than this

# KEYS: holders, waiters. ARGV: token, cap, hold_ms, wait_ms, bulk ("1"/"0").
_ACQUIRE = """
local holders, waiters = KEYS[1], KEYS[2]
local token, cap, hold_ms, wait_ms, bulk = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5] == '1'
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', holders, '-inf', now)
redis.call('ZREMRANGEBYSCORE', waiters, '-inf', now)
local busy = redis.call('ZCARD', holders)
if bulk then
  busy = busy + redis.call('ZCARD', waiters)
else
  redis.call('ZREM', waiters, token)
end
if busy < cap then
  redis.call('ZADD', holders, now + hold_ms, token)
  redis.call('PEXPIRE', holders, hold_ms + 60000)
  return 1
end
if not bulk then
  redis.call('ZADD', waiters, now + wait_ms, token)
  redis.call('PEXPIRE', waiters, wait_ms + 60000)
end
return 0
"""


_local_lock = threading.Lock()
_local_slots: dict[tuple, threading.BoundedSemaphore] = {}


def _local_semaphore(account_id: int, cap: int) -> threading.BoundedSemaphore:
    """This process's share of the account's slots (a new cap gets a new semaphore; a forked child its own)."""
    key = (os.getpid(), account_id, cap)
    with _local_lock:
        semaphore = _local_slots.get(key)
        if semaphore is None:
            semaphore = _local_slots[key] = threading.BoundedSemaphore(cap)
        return semaphore


class CallSlots:
    """The call slots of one account."""

    def __init__(self, connection, account_id: int, cap: int, *, hold_seconds: float, max_wait: float):
        self.connection = connection
        self.holders_key = f"{KEY_PREFIX}:{account_id}"
        self.waiters_key = f"{KEY_PREFIX}:{account_id}:waiting"
        self.cap = max(1, int(cap))
        self.hold_ms = int(hold_seconds * 1000)
        self.max_wait = max_wait
        self.local = _local_semaphore(account_id, self.cap)

    @contextmanager
    def slot(self, *, bulk: bool = False, max_wait: float | None = None):
        """Hold one slot around a call. Raises ``CallNotMade`` (nothing was sent) when
        none frees up within ``max_wait`` seconds (the slots' own limit, or less)."""
        started = time.monotonic()
        limit = self.max_wait if max_wait is None else max(0.0, min(self.max_wait, max_wait))
        if not self.local.acquire(timeout=limit):
            raise self._busy()
        try:
            token = self._acquire(bulk, limit - (time.monotonic() - started))
            try:
                yield
            finally:
                if token:
                    self._release(token)
        finally:
            self.local.release()

    def in_flight(self) -> int:
        return int(self.connection.zcard(self.holders_key))

    def _busy(self) -> CallNotMade:
        return CallNotMade(f"More than {self.cap} calls to the partner were under way for {self.max_wait:g} s; "
                           "nothing was sent")

    def _acquire(self, bulk: bool, max_wait: float | None = None) -> str | None:
        token = secrets.token_hex(8)
        deadline = time.monotonic() + (self.max_wait if max_wait is None else max_wait)
        pause = 0.002
        while True:
            try:
                taken = self.connection.eval(_ACQUIRE, 2, self.holders_key, self.waiters_key, token, self.cap,
                                             self.hold_ms, WAITING_TTL_MS, "1" if bulk else "0")
            except (RedisError, OSError) as error:
                log.warning("partner call cap unavailable (Redis: %s); calling without it", error)
                return None
            if taken == 1:
                return token
            if time.monotonic() >= deadline:
                self._forget_waiter(token)
                raise self._busy()
            time.sleep(pause * (0.5 + random.random()))
            pause = min(pause * 1.5, 0.05)

    def _release(self, token: str) -> None:
        try:
            self.connection.zrem(self.holders_key, token)
        except (RedisError, OSError) as error:  # the slot expires by itself
            log.warning("could not release a partner call slot: %s", error)

    def _forget_waiter(self, token: str) -> None:
        try:
            self.connection.zrem(self.waiters_key, token)
        except (RedisError, OSError):
            pass


class CappedPartner:
    """A partner client whose every call first takes one of the account's slots.

    ``calls_end_by`` (a ``time.monotonic()`` moment) with ``call_deadline``: no call starts unless it
    would end by then. A push's claim is a lease; a call still under way when it runs out could
    meet the call of whoever took the claim over, and the order would be sent twice.
    ``turn``: a lock the clients of one backlog round share, so it makes one call at a time.
    """

    def __init__(self, client, slots: CallSlots, *, bulk: bool = False, calls_end_by: float | None = None,
                 call_deadline: float = 0.0, turn: threading.Lock | None = None):
        self._client = client
        self._slots = slots
        self._bulk = bulk
        self._calls_end_by = calls_end_by
        self._call_deadline = call_deadline
        self._turn = turn

    def _capped(self, name: str, *args, **kwargs):
        with self._taking_turn():
            with self._slots.slot(bulk=self._bulk, max_wait=self._spare_seconds()):
                self._spare_seconds()  # the slot may have come just too late
                return getattr(self._client, name)(*args, **kwargs)

    @contextmanager
    def _taking_turn(self):
        """With ``turn``: wait for it (no longer than the call may still wait), so callers sharing it
        make one call at a time."""
        if self._turn is None:
            yield
            return
        spare = self._spare_seconds()
        if not self._turn.acquire(timeout=self._slots.max_wait if spare is None else spare):
            raise CallNotMade("Another call of this worker took too long to end; nothing was sent")
        try:
            yield
        finally:
            self._turn.release()

    def _spare_seconds(self) -> float | None:
        """How long a call may still wait before it starts (None: as long as the slots allow)."""
        if self._calls_end_by is None:
            return None
        spare = self._calls_end_by - time.monotonic() - self._call_deadline
        if spare < 0:
            raise CallNotMade("The claim on this push ran out before the call could be made; nothing was sent")
        return spare

    def push_order(self, order, *, customer_id: str, user_id: str | None = None):
        return self._capped("push_order", order, customer_id=customer_id, user_id=user_id)

    def create_user(self, site_user, *, customer_id: str):
        return self._capped("create_user", site_user, customer_id=customer_id)

    def find_orders(self, order_number: str, *, customer_id: str | None = None):
        return self._capped("find_orders", order_number, customer_id=customer_id)

    def get_order_status(self, partner_order_id: str):
        return self._capped("get_order_status", partner_order_id)

    def test_connection(self) -> None:
        return self._capped("test_connection")

    def __getattr__(self, name: str):
        return getattr(self._client, name)
