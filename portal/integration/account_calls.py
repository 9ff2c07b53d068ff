"""An account's call history, kept current by the calls that pushes and sync runs make with it.

Test connection records each of its calls on the account. Pushes and sync runs make thousands,
and they count too: the account's "Last successful call", "Last error" and its one state
(``portal.domain.account_health``) would otherwise say "not tested yet" after a day of orders,
or "Active" through a partner outage. They are noted at most once every ``NOTE_EVERY_SECONDS``
per account and kind of ending in each app (worker process), since a write per call would put
every worker's pushes in line for one row; a change of kind (an answer after failures, a
failure after answers) is written at once.
"""

from __future__ import annotations

import logging
import time

from flask import current_app
from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError

from portal.domain.account_health import CallOutcome, account_answered, truncate
from portal.extensions import db
from portal.integration.clients import outcome_of
from portal.integration.slots import CallNotMade
from portal.models import EmbeddedServicesAccount
from portal.models.types import utcnow
from portal.partners.base import PartnerError
from portal.transactions import commit, retrying_locked

log = logging.getLogger(__name__)

NOTE_EVERY_SECONDS = 10.0
_NOTES = "portal.account_call_notes"  # app.extensions key: account ID -> (answered, when noted)


def call_signal(error: PartnerError | None, partner_name: str) -> CallOutcome | None:
    """What a call that ended with ``error`` (None: success) says about the account, or None
    when it says nothing: the portal never made it, or wrong credentials (they pause the account
    on a path of their own)."""
    if isinstance(error, CallNotMade):
        return None
    answered = account_answered(error.failure if error is not None else None)
    if answered is None:
        return None
    return outcome_of(None if answered else error, partner_name)


def note_call(account_id: int, signal: CallOutcome | None) -> None:
    """Write ``signal`` on the account, unless the same kind was written lately (see above).

    Its own short transaction, after the caller's; a failure to write is logged, never raised:
    the push or run it comes from has already recorded what matters.
    """
    if signal is None:
        return
    notes = current_app.extensions.setdefault(_NOTES, {})
    now = time.monotonic()
    last = notes.get(account_id)
    if last is not None and last[0] == signal.ok and now - last[1] < NOTE_EVERY_SECONDS:
        return
    notes[account_id] = (signal.ok, now)
    at = utcnow()
    values = {"last_success_at": at} if signal.ok else {"last_error": truncate(signal.message), "last_error_at": at}

    def write() -> None:
        db.session.execute(update(EmbeddedServicesAccount.__table__)
                           .where(EmbeddedServicesAccount.__table__.c.id == account_id).values(**values))
        db.session.commit()

    try:
        commit()
        retrying_locked(write)
    except SQLAlchemyError as error:
        db.session.rollback()
        notes.pop(account_id, None)
        log.warning("could not note a call on account %s: %s", account_id, error)
