"""Tenants (subscribers) and the people who administer them."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from werkzeug.security import check_password_hash, generate_password_hash

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow


class Subscriber(db.Model):
    """A print company: the tenant. Every storefront object belongs to exactly one."""

    __tablename__ = "subscriber"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Set while platform staff allow this subscriber to use Embedded Services; who did it
    # (and every withdrawal) is in ``authorization_events``.
    embedded_services_authorized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    sites: Mapped[list["Site"]] = relationship(back_populates="subscriber", order_by="Site.name")  # noqa: F821
    admins: Mapped[list["AdminUser"]] = relationship(back_populates="subscriber")
    authorization_events: Mapped[list["EmbeddedServicesAuthorizationEvent"]] = relationship(  # noqa: F821
        back_populates="subscriber",
        order_by="EmbeddedServicesAuthorizationEvent.id.desc()",
        cascade="all, delete-orphan",
    )

    @property
    def embedded_services_authorized(self) -> bool:
        return self.embedded_services_authorized_at is not None

    @property
    def last_authorization_event(self):
        return self.authorization_events[0] if self.authorization_events else None

    def authorize_embedded_services(self, by: "AdminUser | None") -> None:
        """Staff open Embedded Services to this subscriber (a no-op when already open)."""
        if self.embedded_services_authorized:
            return
        self._record_authorization("authorized", by)
        self.embedded_services_authorized_at = self.authorization_events[0].created_at

    def withdraw_embedded_services(self, by: "AdminUser | None") -> None:
        """Staff close Embedded Services; the accounts stay stored but unreachable (404)."""
        if not self.embedded_services_authorized:
            return
        self._record_authorization("withdrawn", by)
        self.embedded_services_authorized_at = None

    def _record_authorization(self, action: str, by: "AdminUser | None") -> None:
        from portal.models.embedded import EmbeddedServicesAuthorizationEvent

        event = EmbeddedServicesAuthorizationEvent(
            action=action, actor=by, actor_name=by.name if by else "", created_at=utcnow()
        )
        self.authorization_events.insert(0, event)

    def __repr__(self) -> str:
        return f"<Subscriber {self.slug}>"


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class AdminUser(UserMixin, db.Model):
    """Someone who signs in: platform staff, or an admin of one subscriber.

    Sessions and remember-me cookies carry ``session_token``, not the ID (``get_id``): a new
    token ends every session of the user at once, on every device. Signing out, a new
    password and deactivation all draw one.
    """

    __tablename__ = "admin_user"
    __table_args__ = (
        CheckConstraint(
            "(is_staff AND subscriber_id IS NULL) OR (NOT is_staff AND subscriber_id IS NOT NULL)",
            name="staff_or_subscriber",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(256))
    is_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    subscriber_id: Mapped[int | None] = mapped_column(ForeignKey("subscriber.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)

    subscriber: Mapped[Subscriber | None] = relationship(back_populates="admins")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember-me cookie."""
        return self.session_token

    def end_all_sessions(self) -> None:
        """Sign this user out everywhere: every session and remember-me cookie stops working."""
        self.session_token = new_session_token()

    @validates("password_hash", "active")
    def _ends_sessions_on_change(self, key: str, value):
        # Whatever sets a new password or deactivates (a page, the shell, a script) ends the
        # sessions too, not only the code paths that remember to call end_all_sessions().
        if key == "password_hash" or not value:
            self.end_all_sessions()
        return value

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<AdminUser {self.email}>"
