"""Site user search and grouped order counts for the admin lists."""

from __future__ import annotations

from sqlalchemy import Select, func, or_

from portal.extensions import db
from portal.models import Order, SiteUser
from portal.search import LIKE_ESCAPE, contains_pattern, normalize
from portal.tenancy import orders_query

PER_PAGE = 50

_contact = SiteUser.__table__.c


def matching(query: Select, text: str) -> Select:
    """Narrow ``query`` to users whose e-mail, name or company contains ``text`` (see ``portal.search``).

    The orders search finds customers with this too, so both lists agree on who matches.
    """
    if not normalize(text):
        return query
    pattern = contains_pattern(text)
    full_name = _contact.contact_first_name + " " + _contact.contact_last_name
    return query.where(
        or_(*(func.lower(column).like(pattern, escape=LIKE_ESCAPE) for column in (
            SiteUser.email, full_name, _contact.contact_company,
        )))
    )


def order_counts(site_user_ids: list[int]) -> dict[int, int]:
    """Orders per site user, for the given users only (one grouped query for a whole page)."""
    if not site_user_ids:
        return {}
    counts = (
        orders_query()
        .with_only_columns(Order.site_user_id, func.count(Order.id))
        .where(Order.site_user_id.in_(site_user_ids))
        .group_by(Order.site_user_id)
    )
    return dict(db.session.execute(counts).all())


def paginate(query: Select, page: int):
    """One page of ``query``; a page past the end shows the last page instead of nothing."""
    result = db.paginate(query, page=page, per_page=PER_PAGE, max_per_page=PER_PAGE, error_out=False)
    if not result.items and result.pages and page > result.pages:
        result = db.paginate(query, page=result.pages, per_page=PER_PAGE, max_per_page=PER_PAGE, error_out=False)
    return result
