"""A scheduled retry that RQ starts at the time it recorded for it finds its row due and sends it,
without the sweep.

RQ keeps a scheduled job's time in whole seconds (``ScheduledJobRegistry.schedule`` truncates it,
and the scheduler compares whole seconds): a retry due at 12:00:02.950 scheduled as is would be
enqueued from 12:00:02.000 on, up to a second early, the claim would (rightly) refuse the row that
is not due yet, and nothing but the next sweep (every SWEEP_INTERVAL = 10 s in production) would
send it. ``enqueue_push`` schedules retries late enough for that.

The test schedules a retry due 0.95 s after a whole second, as ``_record_failure`` does
(``enqueue_push(id, at=due)``), and fires it the way RQ's scheduler does, as soon as the time RQ
recorded for it comes (doing that itself, so the scheduler's polling phase cannot hide an early start).
"""

from __future__ import annotations

import math
import time
from datetime import datetime, timedelta, timezone

import pytest
from rq.registry import ScheduledJobRegistry
from rq.utils import current_timestamp
from sqlalchemy import update

from portal.domain.push import Trigger
from portal.extensions import db
from portal.integration.push import enqueue_push, request_push
from portal.models import OrderIntegration
from portal.queue import task_queue
from tests import factories
from tests.fixtures.push import partner_orders_for, wait_for_push, wait_until


@pytest.fixture(autouse=True)
def _worker(rq_worker, no_push_jobs_left):
    return rq_worker


def test_a_retry_started_at_the_time_rq_recorded_finds_its_row_due_and_sends_it(app, pushing_site, presswise):
    order = factories.order(pushing_site.site, paid=True)
    db.session.commit()
    integration_id = request_push(order, pushing_site.account, trigger=Trigger.AUTOMATIC).integration_id
    # As _record_failure leaves a row after a passing failure: retrying, due at a time with a fraction.
    due = datetime.fromtimestamp(math.floor(time.time()) + 2.95, tz=timezone.utc)
    db.session.execute(update(OrderIntegration).where(OrderIntegration.id == integration_id).values(
        state="retrying", attempt_count=1, next_attempt_at=due, last_error="HTTP 500"))
    db.session.commit()

    queue = task_queue("push")
    registry = ScheduledJobRegistry(queue=queue)
    assert enqueue_push(integration_id, at=due)
    (job_id,) = wait_until(lambda: [j for j in registry.get_job_ids() if j.startswith(f"push-{integration_id}")],
                           timeout=5, message="no retry was scheduled")
    recorded = registry.get_scheduled_time(job_id)
    # What RQ's scheduler does when its clock passes the recorded time.
    wait_until(lambda: current_timestamp() >= recorded.timestamp(), timeout=10, interval=0.01,
               message="the recorded time never came")
    if registry.remove(job_id):  # else the worker's own scheduler took it just now, the same way
        queue.enqueue_job(queue.fetch_job(job_id))
    fired = datetime.now(timezone.utc)

    row = wait_for_push(order, pushing_site.account, timeout=due.timestamp() - time.time() + 6)
    print(f"due={due:%H:%M:%S.%f} recorded={recorded:%H:%M:%S.%f} fired={fired:%H:%M:%S.%f} "
          f"early_by={(due - fired) / timedelta(seconds=1):.2f}s state={row.state}")
    assert row.state == "pushed", row.last_error
    assert len(partner_orders_for(presswise, order)) == 1
