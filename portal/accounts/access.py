"""Who may use Embedded Services, and the tenant-scoped lookups of its objects.

Embedded Services exists for a subscriber only while platform staff authorize it:
otherwise every route answers 404 and the menu item is not rendered.
"""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, select

from portal.extensions import db
from portal.models import EmbeddedServicesAccount, SiteLink
from portal.tenancy import current_subscriber_id, require_subscriber_admin


def embedded_services_enabled() -> bool:
    """Template global: show the menu item and the site tab only to authorized subscribers' admins."""
    if not current_user.is_authenticated or current_user.is_staff:
        return False
    subscriber = current_user.subscriber
    return subscriber is not None and subscriber.embedded_services_authorized


def require_embedded_services():
    """``before_request`` guard: a subscriber admin whose subscriber staff authorized, else 404."""
    response = require_subscriber_admin()
    if response is not None:
        return response
    if not embedded_services_enabled():
        abort(404)
    return None


def accounts_query() -> Select:
    return select(EmbeddedServicesAccount).where(EmbeddedServicesAccount.subscriber_id == current_subscriber_id())


def get_account_or_404(account_id: int) -> EmbeddedServicesAccount:
    account = db.session.execute(
        accounts_query().where(EmbeddedServicesAccount.id == account_id)
    ).scalar_one_or_none()
    if account is None:
        abort(404)
    return account


def get_site_link_or_404(site, link_id: int) -> SiteLink:
    """A link of this (already scoped) site whose account is the subscriber's too."""
    link = db.session.execute(
        select(SiteLink)
        .join(SiteLink.account)
        .where(
            SiteLink.id == link_id,
            SiteLink.site_id == site.id,
            EmbeddedServicesAccount.subscriber_id == current_subscriber_id(),
        )
    ).scalar_one_or_none()
    if link is None:
        abort(404)
    return link
