"""How a call to a partner can end, and what the caller must do next.

This is the vocabulary shared by the partner clients (which raise errors carrying a
``Failure``) and by the domain and integration code (which decide on it). The partners
package imports it; nothing here imports a partner. No Flask here.
"""

from __future__ import annotations

import enum


class Failure(str, enum.Enum):
    """What went wrong with one call."""

    WRONG_CREDENTIALS = "wrong_credentials"  # the partner refused the login
    NOT_SENT = "not_sent"  # nothing reached the partner, or it said it stored nothing (5xx, Fault, code 9)
    UNKNOWN_OUTCOME = "unknown_outcome"  # the request went out and no usable answer came back
    BAD_ANSWER = "bad_answer"  # an answer came, but not one we can read (malformed, oversized)
    REFUSED = "refused"  # the partner answered and refused the request (invalid data, not found)
    NO_SERVICE = "no_service"  # nothing at that address speaks the partner's API (HTTP 404): a wrong URL
    ADDRESS_REFUSED = "address_refused"  # the portal would not connect to that address


class NextStep(str, enum.Enum):
    """What the caller must do after a failure: the answer to "may I just send it again?"."""

    RETRY = "retry"  # nothing was stored: send again later
    RECONCILE = "reconcile"  # it may have been stored: ask the partner before sending again
    STOP = "stop"  # sending again fails the same way: a person must change something
    PAUSE_ACCOUNT = "pause_account"  # every call with this account will fail: stop using it


NEXT_STEP = {
    Failure.WRONG_CREDENTIALS: NextStep.PAUSE_ACCOUNT,
    Failure.NOT_SENT: NextStep.RETRY,
    Failure.UNKNOWN_OUTCOME: NextStep.RECONCILE,
    # An unreadable answer to add_purchase_order may still mean the order was stored.
    Failure.BAD_ANSWER: NextStep.RECONCILE,
    Failure.REFUSED: NextStep.STOP,
    # Every call to a wrong address fails the same way until a person corrects the URL.
    Failure.NO_SERVICE: NextStep.STOP,
    Failure.ADDRESS_REFUSED: NextStep.STOP,
}


def next_step(failure: Failure) -> NextStep:
    return NEXT_STEP[failure]


class AddressRefused(ValueError):
    """A connection reached an address the portal will not call; raised by the URL rules' guard
    before anything is sent. The partner client reports it as its own error."""
