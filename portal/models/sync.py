"""Synchronization runs and what each did with every order.

A run is a row (the truth); the RQ job that executes it only carries its ID. While a run is
queued, running or cancelling its ``active_key`` names its (site, account, kind), and a
unique constraint on that column lets one run at a time hold it: a second start finds the
first instead. Counts are written in batches, together with the outcome rows they count.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain.sync import Outcome, Progress, RunKind, RunState, RunTrigger
from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow


def active_key(site_id: int, account_id: int, kind: str) -> str:
    return f"{site_id}:{account_id}:{kind}"


class SyncRun(db.Model):
    __tablename__ = "sync_run"
    __table_args__ = (
        Index("ix_sync_run_site", "site_id", "id"),
        Index("ix_sync_run_link_kind", "site_id", "account_id", "kind", "id"),
        Index("ix_sync_run_state", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    # An account can be deleted only when nothing was ever pushed with it; its runs (dry runs,
    # runs that found nothing) go with it.
    account_id: Mapped[int] = mapped_column(ForeignKey("embedded_services_account.id", ondelete="CASCADE"),
                                            index=True)
    trigger: Mapped[str] = mapped_column(String(16), default=RunTrigger.MANUAL.value)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("admin_user.id", ondelete="SET NULL"))
    started_by_name: Mapped[str] = mapped_column(String(120), default="")
    # Order Synchronization: orders placed in [window_start, window_end]; status runs have none.
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default=RunState.QUEUED.value)
    active_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    message: Mapped[str | None] = mapped_column(String(500))

    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    pushed: Mapped[int] = mapped_column(Integer, default=0)
    adopted: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unmapped: Mapped[int] = mapped_column(Integer, default=0)

    # Who executes it now: every write of progress checks the token, so an executor that lost
    # the run (marked interrupted, then resumed elsewhere) stops instead of counting twice.
    owner_token: Mapped[str | None] = mapped_column(String(32))
    job_id: Mapped[str | None] = mapped_column(String(64))  # the RQ job that was last asked to execute it
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resumed_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    site: Mapped["Site"] = relationship()  # noqa: F821
    account: Mapped["EmbeddedServicesAccount"] = relationship()  # noqa: F821

    @property
    def run_kind(self) -> RunKind:
        return RunKind(self.kind)

    @property
    def run_state(self) -> RunState:
        return RunState(self.state)

    @property
    def is_active(self) -> bool:
        return self.run_state.active

    @property
    def who(self) -> str:
        if self.trigger == RunTrigger.SCHEDULED.value:
            return "Scheduled"
        return self.started_by_name or ("Command line" if self.trigger == RunTrigger.CLI.value else "—")

    def progress(self, now: datetime | None = None) -> Progress:
        start = self.started_at
        end = self.finished_at or now or utcnow()
        elapsed = (end - start).total_seconds() if start else 0.0
        return Progress(total=self.total, done=self.done, elapsed=elapsed)

    def outcome_label(self, outcome: str) -> str:
        return Outcome(outcome).label(self.dry_run)

    def __repr__(self) -> str:
        return f"<SyncRun {self.id} {self.kind} site={self.site_id} account={self.account_id} {self.state}>"


class SyncOutcome(db.Model):
    """What a run did with one order: at most one row per (run, order), so nothing is counted twice."""

    __tablename__ = "sync_run_outcome"
    __table_args__ = (
        UniqueConstraint("run_id", "order_id"),
        Index("ix_sync_run_outcome_run_outcome", "run_id", "outcome", "order_id"),
        Index("ix_sync_run_outcome_run_flagged", "run_id", "flagged", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("sync_run.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)  # a PressWise status without a mapping
    detail: Mapped[str] = mapped_column(String(500), default="")
    partner_order_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped["Order"] = relationship()  # noqa: F821
