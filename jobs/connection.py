"""Test connection, run by a worker so a slow partner never holds a web thread."""

from __future__ import annotations

from jobs import with_app_context
from portal.extensions import db
from portal.integration.connection import check_connection
from portal.models import EmbeddedServicesAccount


@with_app_context
def test_connection(account_id: int, resume_on_success: bool = False) -> dict | None:
    """Call the partner with the account's stored credentials; the answer goes on the account too.

    ``resume_on_success`` ("Save and test"): a passing test resumes a paused account.
    """
    account = db.session.get(EmbeddedServicesAccount, account_id)
    if account is None:
        return None  # deleted meanwhile: nothing to test
    outcome = check_connection(account, resume_on_success=resume_on_success)
    db.session.commit()
    return {"outcome": outcome.outcome.value, "message": outcome.message}
