"""Tenant scoping: every storefront query goes through here, so nothing leaks across subscribers.

An object of another subscriber answers 404 exactly like one that does not exist.
"""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, select

from portal.extensions import db
from portal.models import Order, Site, SiteUser


def require_signed_in():
    """``before_request`` guard for what anyone signed in may use (signing out, the home redirect)."""
    if not current_user.is_authenticated:
        from portal.extensions import login_manager

        return login_manager.unauthorized()
    return None


def require_subscriber_admin():
    """``before_request`` guard for subscriber areas: signed in, active, and not staff."""
    response = require_signed_in()
    if response is not None:
        return response
    if current_user.is_staff or current_user.subscriber_id is None:
        abort(404)
    return None


def require_staff():
    """``before_request`` guard for the staff area; others get 404, not a hint."""
    response = require_signed_in()
    if response is not None:
        return response
    if not current_user.is_staff:
        abort(404)
    return None


def current_subscriber_id() -> int:
    subscriber_id = getattr(current_user, "subscriber_id", None)
    if subscriber_id is None:
        abort(404)
    return subscriber_id


def sites_query() -> Select:
    return select(Site).where(Site.subscriber_id == current_subscriber_id())


def site_users_query() -> Select:
    return select(SiteUser).join(SiteUser.site).where(Site.subscriber_id == current_subscriber_id())


def orders_query() -> Select:
    return select(Order).join(Order.site).where(Site.subscriber_id == current_subscriber_id())


def _one_or_404(query: Select):
    obj = db.session.execute(query).unique().scalar_one_or_none()
    if obj is None:
        abort(404)
    return obj


def get_site_or_404(site_id: int) -> Site:
    return _one_or_404(sites_query().where(Site.id == site_id))


def get_site_user_or_404(site_user_id: int) -> SiteUser:
    return _one_or_404(site_users_query().where(SiteUser.id == site_user_id))
