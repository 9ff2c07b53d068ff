"""What happened between the storefront and a partner: per order and account, per site user and account.

The state of a push and its transitions are decided in ``portal.domain.push``; the claim
and the calls are made by ``portal.integration.push``. These rows are the truth; RQ jobs
only carry their IDs.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain.push import AttemptOutcome, PushState, Trigger
from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow


class OrderIntegration(db.Model):
    """One order's push to one partner account: at most one per pair, so at most one partner order."""

    __tablename__ = "order_integration"
    __table_args__ = (
        UniqueConstraint("order_id", "account_id"),
        Index("ix_order_integration_account_state", "account_id", "state"),
        Index("ix_order_integration_state_due", "state", "next_attempt_at"),
        # The orders list filtered by push state, from the index alone.
        Index("ix_order_integration_state_order", "state", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("embedded_services_account.id"))
    state: Mapped[str] = mapped_column(String(16), default=PushState.QUEUED.value)
    partner_order_id: Mapped[str | None] = mapped_column(String(40))
    partner_status: Mapped[str | None] = mapped_column(String(80))
    # Our item number (sourceJobID) -> the partner's job number.
    partner_job_ids: Mapped[dict] = mapped_column(JSON, default=dict)
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_error_code: Mapped[str | None] = mapped_column(String(20))
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    # Set once a request may have reached the partner: ask it (find_orders) before sending again.
    reconcile_first: Mapped[bool] = mapped_column(Boolean, default=False)
    # Who asked for the push that is pending now (copied onto the attempt it leads to).
    trigger: Mapped[str] = mapped_column(String(16), default=Trigger.AUTOMATIC.value)
    requested_by: Mapped[str] = mapped_column(String(120), default="")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_token: Mapped[str | None] = mapped_column(String(32))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    order: Mapped["Order"] = relationship()  # noqa: F821
    account: Mapped["EmbeddedServicesAccount"] = relationship()  # noqa: F821
    attempts: Mapped[list[PushAttempt]] = relationship(
        back_populates="integration", order_by="PushAttempt.id.desc()", cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def push_state(self) -> PushState:
        return PushState(self.state)

    def __repr__(self) -> str:
        return f"<OrderIntegration order={self.order_id} account={self.account_id} {self.state}>"


class PushAttempt(db.Model):
    """One try at sending an order (or finding it at the partner): when, who asked, how it ended."""

    __tablename__ = "order_integration_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("order_integration.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    trigger: Mapped[str] = mapped_column(String(16), default=Trigger.AUTOMATIC.value)
    requested_by: Mapped[str] = mapped_column(String(120), default="")
    outcome: Mapped[str] = mapped_column(String(16))
    partner_code: Mapped[str | None] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(String(500), default="")

    integration: Mapped[OrderIntegration] = relationship(back_populates="attempts")

    @property
    def outcome_label(self) -> str:
        return AttemptOutcome(self.outcome).label

    @property
    def who(self) -> str:
        return self.requested_by if self.trigger == Trigger.MANUAL.value and self.requested_by else "Automatic"


class UserIntegration(db.Model):
    """A site user's login at a partner account, created (or found) before their first order is sent."""

    __tablename__ = "user_integration"
    __table_args__ = (UniqueConstraint("site_user_id", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_user_id: Mapped[int] = mapped_column(ForeignKey("site_user.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("embedded_services_account.id"), index=True)
    partner_user_id: Mapped[str] = mapped_column(String(40))
    adopted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site_user: Mapped["SiteUser"] = relationship()  # noqa: F821
    account: Mapped["EmbeddedServicesAccount"] = relationship()  # noqa: F821
