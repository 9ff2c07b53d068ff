"""Sites pages of the storefront admin: the list and each site's tabbed detail page."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import Order, Site, SiteUser
from portal.routing import page_number_or_one
from portal.sites.queries import RECENT_DAYS, SiteCounts, site_counts
from portal.tenancy import get_site_or_404, orders_query, site_users_query, sites_query
from portal.users import queries as user_queries

bp = Blueprint("sites", __name__, url_prefix="/sites")
# Who may use this area: portal.security.access_guards(), checked before the CSRF token.
# The accounts blueprint's "Embedded Services" tab extends sites/_site_layout.html too.

LATEST_ORDERS = 10


@bp.route("/")
def index():
    """List the subscriber's sites with their user and order counts."""
    sites = db.session.scalars(sites_query().order_by(Site.name, Site.id)).all()
    counts = site_counts([site.id for site in sites])
    return render_template("sites/index.html", sites=sites, counts=counts, recent_days=RECENT_DAYS)


@bp.route("/<id:site_id>")
def detail(site_id: int):
    """Overview tab: the site's facts, counts and latest orders."""
    site = get_site_or_404(site_id)
    latest_orders = db.session.scalars(
        orders_query()
        .where(Order.site_id == site.id)
        .options(selectinload(Order.site_user))
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .limit(LATEST_ORDERS)
    ).all()
    return render_template(
        "sites/detail.html",
        site=site,
        active_tab="overview",
        counts=site_counts([site.id]).get(site.id, SiteCounts()),
        latest_orders=latest_orders,
        recent_days=RECENT_DAYS,
    )


@bp.route("/<id:site_id>/users")
def users(site_id: int):
    """Users tab: the site's users, 50 a page, newest first."""
    site = get_site_or_404(site_id)
    page = user_queries.paginate(
        site_users_query().where(SiteUser.site_id == site.id).order_by(SiteUser.created_at.desc(), SiteUser.id.desc()),
        page_number_or_one(request.args.get("page")),
    )
    return render_template(
        "sites/users.html",
        site=site,
        active_tab="users",
        page=page,
        order_counts=user_queries.order_counts([user.id for user in page.items]),
    )
