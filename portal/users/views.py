"""Site users pages of the storefront admin: the searchable list and each user's tabbed detail page."""

from __future__ import annotations

from flask import Blueprint, abort, make_response, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm import contains_eager

from portal.accounts.access import embedded_services_enabled
from portal.extensions import db
from portal.forms import clean_text
from portal.models import EmbeddedServicesAccount, Order, Site, SiteUser, UserIntegration
from portal.routing import id_or_none, page_number_or_one
from portal.htmx import push_url, targets
from portal.tenancy import get_site_user_or_404, orders_query, site_users_query, sites_query
from portal.users import queries

bp = Blueprint("users", __name__, url_prefix="/users")
# Who may use this area: portal.security.access_guards(), checked before the CSRF token.

LATEST_ORDERS = 20
# As long as the orders list's search. SQLite refuses a LIKE pattern over 50,000 bytes, so a
# long enough ?q= was a 500 there; nobody searches for more than a line.
MAX_SEARCH_LENGTH = 100


def _site_filter(raw: str) -> tuple[Site | None, str | None]:
    """The subscriber's site named by ``?site=``, or None with a notice when it is not one of theirs."""
    raw = raw.strip()
    if not raw:
        return None, None
    site_id = id_or_none(raw)
    site = db.session.scalar(sites_query().where(Site.id == site_id)) if site_id else None
    if site is None:
        return None, "That site does not exist; showing users of all sites."
    return site, None


@bp.route("/")
def index():
    """List the subscriber's site users, 50 a page, searchable by e-mail, name or company and filterable by site."""
    q = clean_text(request.args.get("q"))
    site_filter, notice = _site_filter(request.args.get("site", ""))
    if len(q) > MAX_SEARCH_LENGTH:
        q = ""
        notice = " ".join(filter(None, [notice, f"Search for at most {MAX_SEARCH_LENGTH} characters; "
                                                "showing users without searching."]))

    query = site_users_query().options(contains_eager(SiteUser.site))
    query = queries.matching(query, q)
    if site_filter is not None:
        query = query.where(SiteUser.site_id == site_filter.id)
    page = queries.paginate(
        query.order_by(SiteUser.created_at.desc(), SiteUser.id.desc()), page_number_or_one(request.args.get("page"))
    )

    link_params = {key: value for key, value in (("q", q), ("site", site_filter.id if site_filter else None)) if value}
    context = dict(
        page=page,
        q=q,
        site_filter=site_filter,
        notice=notice,
        link_params=link_params,
        order_counts=queries.order_counts([user.id for user in page.items]),
    )
    sites = db.session.scalars(sites_query().order_by(Site.name, Site.id)).all()
    if targets("users-list"):
        page_args = {"page": page.page} if page.page > 1 else {}
        response = make_response(render_template("users/_list.html", sites=sites, **context))
        return push_url(response, url_for("users.index", **link_params, **page_args))
    return render_template("users/index.html", sites=sites, **context)


@bp.route("/<id:site_user_id>")
def detail(site_user_id: int):
    """Details tab: contact details, address, site, and the user's latest orders."""
    site_user = get_site_user_or_404(site_user_id)
    user_orders = orders_query().where(Order.site_user_id == site_user.id)
    orders = db.session.scalars(
        user_orders.order_by(Order.placed_at.desc(), Order.id.desc()).limit(LATEST_ORDERS)
    ).all()
    return render_template(
        "users/detail.html",
        site_user=site_user,
        active_tab="details",
        partner_logins=_partner_logins(site_user),
        orders=orders,
        order_count=queries.order_counts([site_user.id]).get(site_user.id, 0),
    )


def _partner_logins(site_user: SiteUser) -> list[UserIntegration]:
    """The user's logins at the subscriber's partner accounts; none while Embedded Services is off."""
    if not embedded_services_enabled():
        return []
    return db.session.scalars(
        select(UserIntegration).join(UserIntegration.account)
        .where(UserIntegration.site_user_id == site_user.id,
               EmbeddedServicesAccount.subscriber_id == current_user.subscriber_id)
        .options(selectinload(UserIntegration.account)).order_by(EmbeddedServicesAccount.name)
    ).all()


@bp.route("/<id:site_user_id>/embedded-services")
def embedded_services(site_user_id: int):
    """Embedded Services tab: the user's ID at each partner account, once the user was synchronized."""
    site_user = get_site_user_or_404(site_user_id)
    logins = _partner_logins(site_user)
    if not logins:
        abort(404)  # the tab exists once the user was synchronized with a partner
    return render_template("users/embedded_services.html", site_user=site_user, active_tab="embedded_services",
                           partner_logins=logins)
