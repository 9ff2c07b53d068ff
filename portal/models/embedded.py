"""Embedded Services: partner accounts of a subscriber and the sites they serve.

Secrets (password, authorization code) are stored only as Fernet ciphertext; the
plain values exist in memory just long enough to build a partner client's
``AccountSettings`` (``partner_settings``). The username is not a secret.
"""

from __future__ import annotations

from datetime import datetime

from datetime import time

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, Time, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import crypto
from portal.domain.account_health import AccountState, CallOutcome, Health, account_state, health_of, truncate
from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow
from portal.partners import PARTNER_NAMES
from portal.partners.base import AccountSettings

INITIAL_STATUS_CHOICES = ("New",)
# Partner calls one account may have in flight at once (sync runs and single pushes together).
DEFAULT_MAX_CONCURRENT_CALLS = 8
MAX_CONCURRENT_CALLS_LIMIT = 64  # the partner client's connection pool per account


class EmbeddedServicesAccount(db.Model):
    """One login of a subscriber at an MIS partner (PressWise today)."""

    __tablename__ = "embedded_services_account"
    __table_args__ = (UniqueConstraint("subscriber_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscriber.id"), index=True)
    partner: Mapped[str] = mapped_column(String(32), default="presswise")
    name: Mapped[str] = mapped_column(String(120))
    url: Mapped[str] = mapped_column(String(500))
    username: Mapped[str] = mapped_column(String(120))
    password_encrypted: Mapped[str] = mapped_column(Text)
    authorization_code_encrypted: Mapped[str] = mapped_column(Text)
    initial_status: Mapped[str] = mapped_column(String(32), default="New")
    send_pricing_in_notes: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    max_concurrent_calls: Mapped[int] = mapped_column(Integer, default=DEFAULT_MAX_CONCURRENT_CALLS,
                                                      server_default=str(DEFAULT_MAX_CONCURRENT_CALLS))
    # PressWise status -> item status where the account differs from portal.domain.status_mapping's defaults.
    status_mapping: Mapped[dict | None] = mapped_column(JSON)

    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_reason: Mapped[str | None] = mapped_column(String(500))

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    subscriber: Mapped["Subscriber"] = relationship()  # noqa: F821
    site_links: Mapped[list[SiteLink]] = relationship(
        back_populates="account", cascade="all, delete-orphan", order_by="SiteLink.id"
    )

    # --- secrets: write-only from the outside; stored encrypted ---------------------

    @property
    def password(self) -> str:
        return crypto.decrypt(self.password_encrypted)

    @password.setter
    def password(self, value: str) -> None:
        self.password_encrypted = crypto.encrypt(value)

    @property
    def authorization_code(self) -> str:
        return crypto.decrypt(self.authorization_code_encrypted)

    @authorization_code.setter
    def authorization_code(self, value: str) -> None:
        self.authorization_code_encrypted = crypto.encrypt(value)

    def partner_settings(self) -> AccountSettings:
        """What the partner client needs; the only place the secrets are decrypted for use."""
        return AccountSettings(
            url=self.url,
            username=self.username,
            password=self.password,
            authorization_code=self.authorization_code,
            initial_status=self.initial_status,
            send_pricing_in_notes=self.send_pricing_in_notes,
        )

    def rotate_secrets(self) -> None:
        """Re-encrypt the stored secrets with the newest key (the plaintext never surfaces)."""
        self.password_encrypted = crypto.rotate(self.password_encrypted)
        self.authorization_code_encrypted = crypto.rotate(self.authorization_code_encrypted)

    # --- what it is used by -------------------------------------------------------

    @property
    def partner_name(self) -> str:
        return PARTNER_NAMES.get(self.partner, self.partner)

    def sites_using(self) -> int:
        """How many sites the account is attached to (counted in the database, not from a loaded list)."""
        return db.session.scalar(select(func.count()).select_from(SiteLink).where(SiteLink.account_id == self.id))

    def why_not_deletable(self) -> str | None:
        """Why the account cannot be deleted (None: it can); one in use may only be deactivated.

        An account with order history (pushed, or tried) stays: deleting it would lose which
        PressWise order each storefront order became. Deactivate it instead.
        """
        from portal.models.integration import OrderIntegration

        orders = db.session.scalar(
            select(func.count()).select_from(OrderIntegration).where(OrderIntegration.account_id == self.id))
        if orders:
            pushed = db.session.scalar(
                select(func.count()).select_from(OrderIntegration)
                .where(OrderIntegration.account_id == self.id, OrderIntegration.partner_order_id.is_not(None)))
            return (f"It has sent {pushed} order{'' if pushed == 1 else 's'} to {self.partner_name}"
                    f"{f' and tried {orders - pushed} more' if orders > pushed else ''}: that history stays.")
        sites = self.sites_using()
        if sites:
            return f"Used by {sites} site{'' if sites == 1 else 's'}: detach it first."
        return None

    def push_counts(self) -> dict[str, int]:
        """How many orders are in each push state with this account (one grouped query)."""
        from portal.models.integration import OrderIntegration

        rows = db.session.execute(
            select(OrderIntegration.state, func.count()).where(OrderIntegration.account_id == self.id)
            .group_by(OrderIntegration.state)
        ).all()
        return {state: count for state, count in rows}

    def orders_waiting(self, counts: dict[str, int] | None = None) -> int:
        """Orders a worker will send with this account once it can: queued, retrying, or to reconcile."""
        counts = self.push_counts() if counts is None else counts
        return sum(counts.get(state, 0) for state in ("queued", "retrying", "unknown", "sending"))

    def is_in_use(self) -> bool:
        return self.why_not_deletable() is not None

    # --- health -------------------------------------------------------------------

    @property
    def health(self) -> Health:
        return health_of(
            active=self.active,
            paused_at=self.paused_at,
            last_success_at=self.last_success_at,
            last_error_at=self.last_error_at,
        )

    @property
    def state(self) -> AccountState:
        """The one state every page shows for this account (label, why, next action)."""
        return account_state(
            active=self.active,
            paused_at=self.paused_at,
            paused_reason=self.paused_reason,
            last_success_at=self.last_success_at,
            last_error_at=self.last_error_at,
            last_error=self.last_error,
        )

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None

    @property
    def is_usable(self) -> bool:
        """Active and not paused: jobs may call the partner with it."""
        return self.active and not self.is_paused

    def record_outcome(self, outcome: CallOutcome, *, pause_on_outage: bool = False) -> None:
        """Remember how a call went; wrong credentials (or an outage, if asked) pause the account."""
        now = utcnow()
        if outcome.ok:
            self.last_success_at = now
            return
        self.last_error = truncate(outcome.message)
        self.last_error_at = now
        if outcome.pauses_account or pause_on_outage:
            self.pause(outcome.message, now=now)

    def pause(self, reason: str, *, now: datetime | None = None) -> None:
        if self.paused_at is None:
            self.paused_at = now or utcnow()
        self.paused_reason = truncate(reason)

    def resume(self) -> None:
        self.paused_at = None
        self.paused_reason = None

    def __repr__(self) -> str:
        return f"<EmbeddedServicesAccount {self.id} {self.partner} {self.name!r}>"


class SiteLink(db.Model):
    """An account attached to a site: the site's customer ID at the partner and the sync switches.

    The account and the site must belong to the same subscriber; ``attach`` checks it.
    """

    __tablename__ = "embedded_services_site_link"
    __table_args__ = (UniqueConstraint("account_id", "site_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("embedded_services_account.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    customer_id: Mapped[str] = mapped_column(String(20), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    sync_orders: Mapped[bool] = mapped_column(Boolean, default=False)
    sync_status: Mapped[bool] = mapped_column(Boolean, default=True)
    # Scheduled Order Status Synchronization (portal.domain.sync.Schedule); next_at is when it is due.
    status_schedule: Mapped[str] = mapped_column(String(16), default="off", server_default="off")
    status_schedule_time: Mapped[time | None] = mapped_column(Time)
    status_schedule_next_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    account: Mapped[EmbeddedServicesAccount] = relationship(back_populates="site_links")
    site: Mapped["Site"] = relationship()  # noqa: F821

    @classmethod
    def attach(cls, account: EmbeddedServicesAccount, site, **fields) -> "SiteLink":
        if not _same_subscriber(account, site):
            raise ValueError("an account can only be attached to a site of the same subscriber")
        link = cls(account=account, site=site, **fields)
        db.session.add(link)
        return link

    @property
    def pushes_orders(self) -> bool:
        """Orders go out through this link only when everything along the way is switched on."""
        return self.active and self.sync_orders and bool(self.customer_id) and self.account.is_usable

    def __repr__(self) -> str:
        return f"<SiteLink account={self.account_id} site={self.site_id}>"


def _same_subscriber(account: EmbeddedServicesAccount, site) -> bool:
    if account.subscriber_id is not None and site.subscriber_id is not None:
        return account.subscriber_id == site.subscriber_id
    return account.subscriber is not None and account.subscriber is site.subscriber


class EmbeddedServicesAuthorizationEvent(db.Model):
    """Audit trail: staff authorized or withdrew a subscriber's access to Embedded Services."""

    __tablename__ = "embedded_services_authorization_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscriber.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))  # "authorized" | "withdrawn"
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("admin_user.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(120), default="")  # kept if the staff account goes
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    subscriber: Mapped["Subscriber"] = relationship(back_populates="authorization_events")  # noqa: F821
    actor: Mapped["AdminUser | None"] = relationship()  # noqa: F821
