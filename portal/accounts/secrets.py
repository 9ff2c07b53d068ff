"""Key rotation for the secrets stored on Embedded Services accounts."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import EmbeddedServicesAccount

BATCH_SIZE = 500


def rotate_all_secrets() -> int:
    """Re-encrypt every account's secrets with the newest key; returns how many accounts.

    Runs in batches committed one by one, so a large table never holds one long
    transaction; a rerun is harmless (already rotated tokens are just re-encrypted).
    """
    count = 0
    last_id = 0
    while True:
        accounts = db.session.scalars(
            select(EmbeddedServicesAccount)
            .where(EmbeddedServicesAccount.id > last_id)
            .order_by(EmbeddedServicesAccount.id)
            .limit(BATCH_SIZE)
        ).all()
        if not accounts:
            return count
        for account in accounts:
            account.rotate_secrets()
        last_id = accounts[-1].id
        count += len(accounts)
        db.session.commit()
