"""The life of one order's push to one partner account: its states and how a call moves it.

One row per (order, account) carries a state. Only a worker that has *claimed* the row (moved
it to SENDING with a lease, in one conditional UPDATE) may call the partner for it; what the
call ends in decides the next state here. The rule that keeps PressWise free of duplicates:
once a request may have reached the partner (an unknown outcome, an expired lease, any retry),
the row must be *reconciled* (``find_orders``) before it is sent again, and an order found
there is adopted instead of sent. No Flask here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from portal.domain.partner_calls import NextStep

# Seconds to wait before attempt 2, 3, …; after the last one a transient failure is final.
DEFAULT_RETRY_DELAYS = (10, 30, 120, 600, 1800)


class PushState(str, enum.Enum):
    QUEUED = "queued"
    SENDING = "sending"
    PUSHED = "pushed"
    ADOPTED = "adopted"
    RETRYING = "retrying"
    UNKNOWN = "unknown"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]

    @property
    def badge(self) -> str:
        return {"pushed": "ok", "adopted": "ok", "failed": "bad", "unknown": "warn", "retrying": "warn"}.get(
            self.value, "")

    @property
    def in_partner(self) -> bool:
        """PressWise has the order: never send it again."""
        return self in (PushState.PUSHED, PushState.ADOPTED)

    @property
    def in_progress(self) -> bool:
        """A worker will act on the row without anyone pressing a button."""
        return self in (PushState.QUEUED, PushState.SENDING, PushState.RETRYING, PushState.UNKNOWN)


STATE_LABELS = {
    PushState.QUEUED: "Queued",
    PushState.SENDING: "Sending",
    PushState.PUSHED: "Pushed",
    PushState.ADOPTED: "Adopted",
    PushState.RETRYING: "Retrying",
    PushState.UNKNOWN: "Outcome unknown",
    PushState.FAILED: "Failed",
}

STATE_DESCRIPTIONS = {
    PushState.QUEUED: "Waiting for a worker to send it.",
    PushState.SENDING: "A worker is sending it now.",
    PushState.PUSHED: "PressWise accepted it.",
    PushState.ADOPTED: "PressWise already had it (sent earlier or by another integration); the portal took its order number.",
    PushState.RETRYING: "PressWise could not take it just now; it is sent again automatically.",
    PushState.UNKNOWN: "It was sent but no answer came back. Before sending again the portal asks PressWise whether it has it.",
    PushState.FAILED: "Not sent. Fix what the error says, then press Push Order.",
}

# A Push Order click (or an order becoming eligible again) may restart a row in these states.
RESTARTABLE = (PushState.QUEUED, PushState.RETRYING, PushState.UNKNOWN, PushState.FAILED)


class Trigger(str, enum.Enum):
    AUTOMATIC = "automatic"  # the order became eligible, a retry, the sweep
    MANUAL = "manual"  # an admin pressed Push Order


class AttemptOutcome(str, enum.Enum):
    PUSHED = "pushed"
    ADOPTED = "adopted"
    RETRYING = "retrying"
    UNKNOWN = "unknown"
    FAILED = "failed"
    WAITING = "waiting"  # the account was paused by this attempt; the order waits for Resume

    @property
    def label(self) -> str:
        return {"pushed": "Pushed", "adopted": "Adopted", "retrying": "Will retry", "unknown": "Outcome unknown",
                "failed": "Failed", "waiting": "Waiting for the account"}[self.value]


@dataclass(frozen=True)
class AfterFailure:
    """What a failed attempt leaves on the row."""

    state: PushState
    attempt_outcome: AttemptOutcome
    next_attempt_at: datetime | None
    reconcile_first: bool
    pause_account: bool = False
    gave_up: bool = False


def retry_delay(attempts: int, delays: tuple[float, ...]) -> float | None:
    """Seconds before the next attempt after ``attempts`` attempts, or None when they are used up."""
    if attempts < 1 or attempts > len(delays):
        return None
    return delays[attempts - 1]


def after_failure(step: NextStep, *, attempts: int, reconcile_first: bool, now: datetime,
                  delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS) -> AfterFailure:
    """Where a row goes after its ``attempts``-th attempt failed with ``step`` as the partner's advice.

    ``reconcile_first`` is whether the row already had to be reconciled; it never goes back to
    False, because a request that may have reached the partner stays possible forever.
    """
    if step is NextStep.PAUSE_ACCOUNT:
        # Every order of the account would fail the same way: the row waits, unspent, for Resume.
        return AfterFailure(PushState.QUEUED, AttemptOutcome.WAITING, None, reconcile_first, pause_account=True)
    if step is NextStep.STOP:
        return AfterFailure(PushState.FAILED, AttemptOutcome.FAILED, None, reconcile_first)
    delay = retry_delay(attempts, delays)
    if step is NextStep.RECONCILE:
        if delay is None:
            # Given up, but it may be in PressWise: any later push must ask first.
            return AfterFailure(PushState.FAILED, AttemptOutcome.FAILED, None, True, gave_up=True)
        return AfterFailure(PushState.UNKNOWN, AttemptOutcome.UNKNOWN, now + timedelta(seconds=delay), True)
    if delay is None:
        return AfterFailure(PushState.FAILED, AttemptOutcome.FAILED, None, reconcile_first, gave_up=True)
    return AfterFailure(PushState.RETRYING, AttemptOutcome.RETRYING, now + timedelta(seconds=delay), reconcile_first)


def claimable(state: PushState, *, next_attempt_at: datetime | None, lease_expires_at: datetime | None,
              now: datetime) -> bool:
    """Whether a worker may take the row now. The database makes the same decision in one UPDATE
    (``portal.integration.push.claim``); this is its plain form, for tests and the sweep."""
    if state is PushState.QUEUED:
        return True
    if state in (PushState.RETRYING, PushState.UNKNOWN):
        return next_attempt_at is None or next_attempt_at <= now
    if state is PushState.SENDING:
        return lease_expires_at is not None and lease_expires_at < now
    return False


def parse_retry_delays(raw: str) -> tuple[float, ...]:
    """``"10,30,120"`` -> (10.0, 30.0, 120.0); raises ValueError for anything else."""
    delays = tuple(float(part) for part in raw.split(",") if part.strip())
    if not delays or any(delay <= 0 for delay in delays):
        raise ValueError("retry delays must be positive numbers of seconds, separated by commas")
    return delays
