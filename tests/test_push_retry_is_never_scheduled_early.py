"""A retry is scheduled no earlier than the row is due: RQ keeps whole seconds, so the job's time
is rounded up, never down (a job run before the row is due claims nothing and the retry is lost
until the sweep)."""

from __future__ import annotations

from datetime import datetime, timezone

from portal.integration.push import enqueue_push
from portal.queue import task_queue


def test_a_retry_due_mid_second_is_scheduled_at_the_next_second(app):
    due = datetime(2030, 1, 1, 10, 12, 2, 893_223, tzinfo=timezone.utc)
    assert enqueue_push(424242, at=due)
    registry = task_queue("push").scheduled_job_registry
    try:
        scheduled = registry.get_scheduled_time("push-424242")
        assert scheduled == datetime(2030, 1, 1, 10, 12, 3, tzinfo=timezone.utc)
    finally:
        registry.remove("push-424242", delete_job=True)
