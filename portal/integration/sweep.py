"""The sweep: hands every push that needs a worker back to one, whatever was lost on the way.

Run every few seconds by ``flask cron`` (RQ's CronScheduler enqueues ``jobs.push.sweep``).
It finds rows that are queued for a usable account, retries that are due, outcomes that
are unknown and due, and SENDING rows whose lease ran out (their worker died mid-call), and
enqueues each unless a job for it is already waiting or running. Enqueueing is idempotent
and the claim decides who sends, so two sweeps at once do no harm.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import and_, or_, select

from portal.domain.push import PushState
from portal.extensions import db
from portal.integration.push import enqueue_push, pending_push_jobs
from portal.models import EmbeddedServicesAccount, OrderIntegration
from portal.models.types import utcnow

log = logging.getLogger(__name__)

BATCH = 500


@dataclass(frozen=True)
class SweepReport:
    due: int
    enqueued: int


def sweep(limit: int = 5000) -> SweepReport:
    now = utcnow()
    row = OrderIntegration
    due = db.session.execute(
        select(row.id, row.state, row.attempt_count).join(row.account)
        .where(
            EmbeddedServicesAccount.active.is_(True), EmbeddedServicesAccount.paused_at.is_(None),
            or_(
                row.state == PushState.QUEUED.value,
                and_(row.state.in_([PushState.RETRYING.value, PushState.UNKNOWN.value]),
                     or_(row.next_attempt_at.is_(None), row.next_attempt_at <= now)),
                and_(row.state == PushState.SENDING.value, row.lease_expires_at < now),
            ),
        )
        .order_by(row.id).limit(limit)
    ).all()
    db.session.commit()
    enqueued = 0
    # A SENDING row whose lease ran out lost its worker: RQ may still call that worker's job
    # "started" for minutes, so it gets a job of its own for this claim, whatever RQ says.
    abandoned = [(i, attempt) for i, state, attempt in due if state == PushState.SENDING.value]
    for integration_id, attempt in abandoned:
        if enqueue_push(integration_id, recovering_attempt=attempt):
            enqueued += 1
    waiting = [i for i, state, _ in due if state != PushState.SENDING.value]
    for start in range(0, len(waiting), BATCH):
        batch = waiting[start:start + BATCH]
        pending = pending_push_jobs(batch)
        for integration_id in batch:
            if integration_id not in pending and enqueue_push(integration_id):
                enqueued += 1
    if enqueued:
        log.info("sweep: %s push(es) due, %s handed to workers", len(due), enqueued)
    return SweepReport(due=len(due), enqueued=enqueued)
