"""The orders list: filters turned into SQL, and one page of results with its count.

Everything starts from ``portal.tenancy.orders_query()``, so the list only ever holds the
signed-in subscriber's orders. The page query walks ``ix_order_placed_at`` (or
``ix_order_site_placed`` for one site) newest first and stops after one page; items,
customers and sites of that page come in a fixed number of extra queries.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sqlalchemy import Select, and_, exists, func, or_, select, union
from sqlalchemy.orm import contains_eager, selectinload

from portal.domain.orders import Approval, PaymentMethod, PaymentStatus
from portal.domain.push import PushState
from portal.extensions import db
from portal.models import EmbeddedServicesAccount, Order, OrderIntegration, OrderItem, Site, SiteLink, SiteUser
from portal.search import LIKE_ESCAPE, contains_pattern, prefix_pattern
from portal.users import queries as user_queries


@dataclass(frozen=True)
class OrderFilters:
    """What the admin asked the list for; None means 'no filter'."""

    q: str | None = None
    site_id: int | None = None
    payment: str | None = None
    approval: str | None = None
    edoc: str | None = None
    push: str | None = None

    def as_args(self) -> dict[str, str]:
        """Query-string arguments that reproduce these filters (for pagination links)."""
        args = {"q": self.q, "site": self.site_id, "payment": self.payment, "approval": self.approval, "edoc": self.edoc,
                "push": self.push}
        return {key: str(value) for key, value in args.items() if value not in (None, "")}

    @property
    def active(self) -> bool:
        return bool(self.as_args())

    @property
    def site_only(self) -> bool:
        """No filter but (perhaps) the site: the list is every order of the tenant or of one site."""
        return set(self.as_args()) <= {"site"}

    @property
    def partner_state_only(self) -> bool:
        """Only the Partner filter is set: the list is exactly what its count on the page counts."""
        return bool(self.push) and set(self.as_args()) == {"push"}


def _search(query: Select, text: str) -> Select:
    """Order number (exact or prefix), PO number, billing e-mail, or a customer the site users
    search finds (e-mail, name, company); case-insensitive like every search (``portal.search``).

    Both forms below find the same orders; they differ in how the database gets there. Text that
    is an order number of the tenant matches a handful of orders: they are found first, each part
    of the search from an index of its own on PostgreSQL (migration 0007: the e-mail by trigrams),
    instead of testing order after order, newest first, for the one that matches. Any other text
    (a customer's name or e-mail, often matching many orders) keeps that walk, which stops after
    one page.
    """
    own_fields = or_(
        Order.number == text,
        Order.number.like(prefix_pattern(text), escape=LIKE_ESCAPE),
        func.lower(Order.po_number) == text.lower(),
        func.lower(Order.__table__.c.billing_email).like(contains_pattern(text), escape=LIKE_ESCAPE),
    )
    customers = user_queries.matching(select(SiteUser.id), text)
    walk = query.where(or_(own_fields, Order.site_user_id.in_(customers)))
    if db.session.scalar(query.with_only_columns(Order.id).where(Order.number == text).limit(1)) is None:
        return walk
    # The IDs themselves, so the planner knows there are a handful (a subquery it would guess at
    # thousands, from customers with many orders, and join by scanning every order).
    matches = db.session.scalars(union(select(Order.id).where(own_fields),
                                       select(Order.id).where(Order.site_user_id.in_(customers)))
                                 .limit(SEARCH_IDS_AT_MOST + 1)).all()
    if len(matches) > SEARCH_IDS_AT_MOST:
        return walk
    return query.where(Order.id.in_(matches))


# More matches than this (the order number is also in many customers' e-mails): walk the list instead.
SEARCH_IDS_AT_MOST = 500


def _orders_with_items(*conditions):
    """Orders having an item that meets ``conditions``: one pass over the items (index-backed
    for approval), rather than a correlated lookup for each of the many orders."""
    return Order.id.in_(select(OrderItem.order_id).where(*conditions))


def apply_filters(query: Select, filters: OrderFilters) -> Select:
    if filters.q:
        query = _search(query, filters.q)
    if filters.site_id is not None:
        query = query.where(Order.site_id == filters.site_id)

    open_terms = Order.payment_method == PaymentMethod.OPEN_TERMS.value
    if filters.payment == "paid":
        query = query.where(Order.payment_status == PaymentStatus.PAID.value)
    elif filters.payment == "unpaid":
        query = query.where(
            Order.payment_status == PaymentStatus.UNPAID.value,
            or_(Order.payment_method.is_(None), ~open_terms),
        )
    elif filters.payment == "open_terms":
        query = query.where(Order.payment_status == PaymentStatus.UNPAID.value, open_terms)

    if filters.approval == "approved":
        not_approved = [value.value for value in Approval if value is not Approval.APPROVED]
        query = query.where(_orders_with_items(), ~_orders_with_items(OrderItem.approval.in_(not_approved)))
    elif filters.approval == "pending":
        query = query.where(_orders_with_items(OrderItem.approval == Approval.PENDING.value))
    elif filters.approval == "denied":
        query = query.where(_orders_with_items(OrderItem.approval == Approval.DENIED.value))

    if filters.edoc == "pending":
        query = query.where(_orders_with_items(OrderItem.edoc_pending))

    if filters.push in PUSH_STATE_FILTERS:
        # Correlated, so the page walks the newest orders and stops after one page instead of first
        # collecting every order in that state; (state, order_id) answers both it and the count.
        query = query.where(exists().where(OrderIntegration.order_id == Order.id, OrderIntegration.state == filters.push))
    elif filters.push == NOT_ELIGIBLE:
        query = query.where(Order.held_back)
    elif filters.push == NO_ACCOUNT:
        query = query.where(~Order.held_back, Order.site_id.in_(_sites_without_pushing_link()))
    return query


# The orders list's "Partner" filter: a push state, or one of these two facts about the order.
PUSH_STATE_FILTERS = tuple(state.value for state in (
    PushState.FAILED, PushState.UNKNOWN, PushState.RETRYING, PushState.QUEUED, PushState.SENDING,
    PushState.PUSHED, PushState.ADOPTED))
NOT_ELIGIBLE = "not_eligible"
NO_ACCOUNT = "no_account"


@dataclass(frozen=True)
class PushStateCounts:
    """The Partner filter's counts (push state, or one of the two facts above -> orders), and the
    tenant's orders per site, which the same index pass yields for free."""

    by_filter: dict[str, int]
    orders_by_site: dict[int, int]

    def get(self, name: str, default: int = 0) -> int:
        return self.by_filter.get(name, default)

    def orders(self, site_id: int | None = None) -> int:
        """All of the tenant's orders, or one site's: the unfiltered list's total, without a COUNT of its own."""
        if site_id is None:
            return sum(self.orders_by_site.values())
        return self.orders_by_site.get(site_id, 0)


def not_eligible():
    """The SQL form of ``portal.domain.orders.integration_holds(order)`` being non-empty (tests check
    that the two agree): unpaid and not on open terms, no items, an item not approved, an eDoc file pending.

    The list reads ``Order.held_back`` instead, which the app keeps equal to this; tests check that too.
    """
    unpaid = and_(
        Order.payment_status != PaymentStatus.PAID.value,
        or_(Order.payment_method.is_(None), Order.payment_method != PaymentMethod.OPEN_TERMS.value),
    )
    return or_(
        unpaid,
        ~_orders_with_items(),
        _orders_with_items(OrderItem.approval != Approval.APPROVED.value),
        _orders_with_items(OrderItem.edoc_pending),
    )


def _sites_without_pushing_link() -> Select:
    """Sites with no active link to an active account: no partner may receive their orders."""
    return select(Site.id).where(~exists().where(
        SiteLink.site_id == Site.id, SiteLink.active.is_(True),
        SiteLink.account_id == EmbeddedServicesAccount.id, EmbeddedServicesAccount.active.is_(True),
    ))


def push_state_counts(orders: Select, accounts: Select) -> PushStateCounts:
    """How many of the tenant's ``orders`` are in each push state with its ``accounts`` (an order pushed
    to two accounts counts in both), how many are held back by a rule, and how many have no account.

    A fixed number of small queries, each read from an index, whatever the number of orders: pushes
    by (account, state), orders by (site, held back).
    """
    rows = db.session.execute(
        select(OrderIntegration.state, func.count(func.distinct(OrderIntegration.order_id)))
        .where(OrderIntegration.account_id.in_(accounts.with_only_columns(EmbeddedServicesAccount.id).order_by(None)))
        .group_by(OrderIntegration.state)
    ).all()
    counts = {state: count for state, count in rows}
    by_site = db.session.execute(
        orders.with_only_columns(Order.site_id, Order.held_back, func.count()).order_by(None)
        .group_by(Order.site_id, Order.held_back)
    ).all()
    unreachable = set(db.session.scalars(
        _sites_without_pushing_link().where(Site.id.in_({site_id for site_id, _, _ in by_site}))))
    counts[NOT_ELIGIBLE] = sum(count for _, held_back, count in by_site if held_back)
    counts[NO_ACCOUNT] = sum(count for site_id, held_back, count in by_site if not held_back and site_id in unreachable)
    orders_by_site: dict[int, int] = {}
    for site_id, _, count in by_site:
        orders_by_site[site_id] = orders_by_site.get(site_id, 0) + count
    return PushStateCounts(counts, orders_by_site)


@dataclass
class OrdersPage:
    orders: list[Order]
    total: int
    page: int
    per_page: int
    pages: int = field(init=False)

    def __post_init__(self):
        self.pages = max(1, math.ceil(self.total / self.per_page))

    @property
    def first_index(self) -> int:
        return 0 if not self.total else (self.page - 1) * self.per_page + 1

    @property
    def last_index(self) -> int:
        return min(self.total, self.page * self.per_page)

    def window(self, radius: int = 2) -> list[int | None]:
        """Page numbers to link: the first, the last, and ``radius`` around the current one; None is a gap."""
        shown = {1, self.pages, *range(self.page - radius, self.page + radius + 1)}
        numbers = sorted(n for n in shown if 1 <= n <= self.pages)
        result: list[int | None] = []
        for previous, number in zip([None, *numbers], numbers):
            if previous is not None and number - previous > 1:
                result.append(None)
            result.append(number)
        return result


def orders_page(base: Select, filters: OrderFilters, page: int, per_page: int, *,
                total: int | None = None) -> OrdersPage:
    """One page of ``base`` (a tenant-scoped ``select(Order)`` joined to Site), newest first.

    A page past the end shows the last page rather than an empty table. ``total``: the number of
    matching orders when the caller already counted them (a COUNT over tens of thousands of
    orders is most of such a page's time).
    """
    filtered = apply_filters(base, filters)
    if total is None:
        total = db.session.execute(filtered.with_only_columns(func.count(Order.id)).order_by(None)).scalar_one()
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    start, end = (page - 1) * per_page, min(page * per_page, total)  # newest first
    loaded = filtered.options(
        contains_eager(Order.site),
        selectinload(Order.site_user),
        selectinload(Order.items),
        selectinload(Order.integrations).selectinload(OrderIntegration.account),
    )
    if start <= total - end:
        orders = list(db.session.execute(
            loaded.order_by(Order.placed_at.desc(), Order.id.desc()).limit(per_page).offset(start)).scalars().unique())
    else:
        # Nearer the end: counted from the oldest, the database skips fewer rows (the last of
        # 100,000 orders is an OFFSET of 0, not of 99,950).
        orders = list(db.session.execute(
            loaded.order_by(Order.placed_at.asc(), Order.id.asc()).limit(end - start).offset(total - end)
        ).scalars().unique())[::-1]
    return OrdersPage(orders=orders, total=total, page=page, per_page=per_page)


def order_with_everything(base: Select, order_id: int) -> Select:
    """The detail page's order with items, shipments, site and customer loaded up front."""
    return base.where(Order.id == order_id).options(
        contains_eager(Order.site),
        selectinload(Order.site_user),
        selectinload(Order.items).selectinload(OrderItem.shipments),
    )


__all__ = ["OrderFilters", "OrdersPage", "PushStateCounts", "apply_filters", "orders_page", "order_with_everything"]
