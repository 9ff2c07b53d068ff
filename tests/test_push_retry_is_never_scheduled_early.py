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


def test_a_retry_replaces_one_scheduled_for_another_time(app):
    registry = task_queue("push").scheduled_job_registry
    first = datetime(2030, 1, 1, 10, 0, 0, tzinfo=timezone.utc)
    later = datetime(2030, 1, 1, 10, 5, 0, tzinfo=timezone.utc)
    try:
        assert enqueue_push(424243, at=first)
        assert enqueue_push(424243, at=first), "the same retry again: kept"
        assert registry.get_scheduled_time("push-424243") == first
        assert enqueue_push(424243, at=later)
        assert registry.get_scheduled_time("push-424243") == later, "a stale earlier one would fire before the row is due"
    finally:
        registry.remove("push-424243", delete_job=True)
