"""Failed sign-ins counted in Redis, per (e-mail, client address) and per client address.

Each counter lives in a fixed window: the first failure starts it, and it ends 15 minutes
later whatever happens in between. Once a counter reaches its limit, sign-ins for that
e-mail from that address (or anything from that address) are refused without looking at
the password until the window ends, so guessing is capped at 10 passwords per account and
address and 50 per address every 15 minutes. A successful sign-in clears its own
(e-mail, address) counter (not the address's: one valid account must not unlock guessing
at the others).

Why not per e-mail alone: a stranger anywhere could then lock an admin out with ten wrong
passwords. Counted per (e-mail, address), the stranger only locks out their own address.
And a refused attempt is not counted, so a colleague who forgot their password adds at
most 10 failures to the office's shared address, short of its 50: one person does not lock
out an office behind one address. The price: guessing from many addresses at once is
limited per address only; passwords are salted slow hashes.

Redis unreachable: the limiter fails OPEN (the attempt is allowed, a warning is logged).
Signing in must not depend on Redis: an outage would otherwise lock every admin and the
staff who need to investigate out of the portal. Passwords are still salted slow hashes,
so a guesser gains only the time Redis is down, and the warning says it is.

Limits can be changed per app: ``LOGIN_FAILURES_PER_EMAIL_AT_ADDRESS``,
``LOGIN_FAILURES_PER_ADDRESS``, ``LOGIN_FAILURE_WINDOW_SECONDS``.
"""

from __future__ import annotations

import hashlib
import logging
import math

from flask import current_app
from redis.exceptions import RedisError

from portal.queue import redis_connection

FAILURES_PER_EMAIL_AT_ADDRESS = 10
FAILURES_PER_ADDRESS = 50
WINDOW_SECONDS = 15 * 60
KEY_PREFIX = "portal:login-failures"

logger = logging.getLogger(__name__)


def _keys(email: str, address: str) -> list[str]:
    # Hashed so Redis holds no e-mail addresses, known or not.
    pair_digest = hashlib.sha256(f"{email.strip().lower()}\n{address}".encode()).hexdigest()
    return [f"{KEY_PREFIX}:email-at-address:{pair_digest}", f"{KEY_PREFIX}:address:{address}"]


def _limits() -> list[int]:
    config = current_app.config
    return [
        config.get("LOGIN_FAILURES_PER_EMAIL_AT_ADDRESS", FAILURES_PER_EMAIL_AT_ADDRESS),
        config.get("LOGIN_FAILURES_PER_ADDRESS", FAILURES_PER_ADDRESS),
    ]


def _window() -> int:
    return current_app.config.get("LOGIN_FAILURE_WINDOW_SECONDS", WINDOW_SECONDS)


def _redis_is_down(action: str, error: Exception) -> None:
    logger.warning("Sign-in throttling skipped (%s): Redis did not answer: %s", action, error)


def seconds_until_allowed(email: str, address: str) -> int:
    """0 when a sign-in may be tried now, else the seconds until the full window ends."""
    keys = _keys(email, address)
    try:
        pipeline = redis_connection().pipeline(transaction=False)
        for key in keys:
            pipeline.get(key)
            pipeline.ttl(key)
        answers = pipeline.execute()
    except (RedisError, OSError) as error:
        _redis_is_down("check", error)
        return 0
    waits = [0]
    for (count, ttl), limit in zip(zip(answers[::2], answers[1::2]), _limits()):
        if count is not None and int(count) >= limit:
            waits.append(ttl if ttl > 0 else _window())
    return max(waits)


def record_failure(email: str, address: str) -> None:
    """Count one failed sign-in against the (e-mail, address) pair and the address."""
    window = _window()
    try:
        pipeline = redis_connection().pipeline(transaction=True)
        for key in _keys(email, address):
            pipeline.set(key, 0, ex=window, nx=True)  # the first failure starts the window
            pipeline.incr(key)
        pipeline.execute()
    except (RedisError, OSError) as error:
        _redis_is_down("count", error)


def clear_email_at_address(email: str, address: str) -> None:
    """Forget the failures of this e-mail from this address after a successful sign-in."""
    try:
        redis_connection().delete(_keys(email, address)[0])
    except (RedisError, OSError) as error:
        _redis_is_down("clear", error)


def too_many_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return f"Too many failed sign-ins. Try again in {minutes} minute{'s' if minutes != 1 else ''}."
