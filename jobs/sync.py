"""Sync runs, the sweep that finds interrupted ones, and scheduled status runs. Arguments are row IDs only."""

from __future__ import annotations

from jobs import with_app_context
from portal.integration.sync import execute_run, start_scheduled_runs, sweep_runs


@with_app_context
def run_sync(run_id: int) -> str:
    """Carry out one Order (Status) Synchronization run (see ``portal.integration.sync``)."""
    return execute_run(run_id)


@with_app_context
def sweep() -> dict:
    """Mark runs whose worker died as interrupted; hand lost queued runs to the workers again."""
    report = sweep_runs()
    return {"interrupted": report.interrupted, "requeued": report.requeued}


@with_app_context
def start_scheduled() -> list[int]:
    """Start the scheduled status runs that are due."""
    return start_scheduled_runs()
