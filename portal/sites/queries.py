"""Grouped counts for the sites pages: one query per kind of count, whatever the number of sites."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func

from portal.extensions import db
from portal.models import Order, SiteUser
from portal.models.types import utcnow
from portal.tenancy import orders_query, site_users_query

RECENT_DAYS = 30


@dataclass(frozen=True)
class SiteCounts:
    users: int = 0
    orders: int = 0
    recent_orders: int = 0


def recent_cutoff(now: datetime | None = None) -> datetime:
    """Start of the "last 30 days" window, the one Order Synchronization uses too."""
    return (now or utcnow()) - timedelta(days=RECENT_DAYS)


def site_counts(site_ids: list[int] | None = None) -> dict[int, SiteCounts]:
    """Users, orders and recent orders per site of the current subscriber (all its sites, or ``site_ids``)."""
    users_per_site = site_users_query().with_only_columns(SiteUser.site_id, func.count(SiteUser.id))
    orders_per_site = orders_query().with_only_columns(
        Order.site_id,
        func.count(Order.id),
        func.coalesce(func.sum(case((Order.placed_at >= recent_cutoff(), 1), else_=0)), 0),
    )
    if site_ids is not None:
        users_per_site = users_per_site.where(SiteUser.site_id.in_(site_ids))
        orders_per_site = orders_per_site.where(Order.site_id.in_(site_ids))

    users = dict(db.session.execute(users_per_site.group_by(SiteUser.site_id)).all())
    orders = {
        site_id: (int(total), int(recent))
        for site_id, total, recent in db.session.execute(orders_per_site.group_by(Order.site_id))
    }
    return {
        site_id: SiteCounts(users=users.get(site_id, 0), orders=orders.get(site_id, (0, 0))[0],
                            recent_orders=orders.get(site_id, (0, 0))[1])
        for site_id in set(users) | set(orders) | set(site_ids or ())
    }
