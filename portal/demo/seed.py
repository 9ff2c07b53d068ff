"""Writes the demo data: logins, subscribers, sites and site users through the ORM (a
handful of rows, looked up by their natural keys so reruns find them), and orders in
bulk through SQLAlchemy Core so 100,000 of them take seconds, not an hour.

``seed_demo(n)`` means "at least n demo orders exist": it counts the orders on the demo
sites and adds only the missing ones, numbering them after the highest existing number
of each site. A rerun with the same n touches nothing and answers in well under a second.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Callable, Iterable, Iterator

from sqlalchemy import func, insert, select, text

from portal.demo.generator import (
    FIRST_SEQUENCE,
    Customer,
    PlannedOrder,
    SiteOrders,
    demo_customers,
    generate_orders,
    sequence_of,
)
from portal.extensions import db
from portal.models import AdminUser, Order, OrderItem, Shipment, Site, SiteUser, Subscriber
from portal.models.types import utcnow

DEMO_PASSWORD = "demo-password"
DEFAULT_ORDERS = 200
MAX_ORDERS = 1_000_000
BATCH_SIZE = 5_000

STAFF_EMAIL = "staff@example.com"
STAFF_NAME = "Sam Staff"


@dataclass(frozen=True)
class SiteSpec:
    name: str
    domain: str
    number_prefix: str
    order_weight: int
    customer_count: int


@dataclass(frozen=True)
class SubscriberSpec:
    name: str
    slug: str
    admin_email: str
    admin_name: str
    sites: tuple[SiteSpec, ...]


SUBSCRIBERS = (
    SubscriberSpec(
        "Acme Print", "acme-print", "admin@acme-print.example", "Alice Admin",
        (
            SiteSpec("Acme Print Shop", "shop.acme-print.example", "A", 45, 18),
            SiteSpec("Acme Business Center", "business.acme-print.example", "B", 25, 12),
        ),
    ),
    SubscriberSpec(
        "Northwind Press", "northwind-press", "admin@northwind-press.example", "Nadia Novak",
        (SiteSpec("Northwind Press Store", "store.northwind-press.example", "N", 30, 15),),
    ),
)


@dataclass
class Tally:
    created: int = 0
    existing: int = 0


@dataclass
class Login:
    email: str
    role: str
    password_is_demo: bool


@dataclass
class SeedResult:
    tallies: dict[str, Tally] = field(default_factory=dict)
    logins: list[Login] = field(default_factory=list)
    subscribers: dict[str, Subscriber] = field(default_factory=dict)
    sites: dict[str, Site] = field(default_factory=dict)
    demo_orders: int = 0

    def tally(self, kind: str) -> Tally:
        return self.tallies.setdefault(kind, Tally())


Progress = Callable[[int, int], None]


def seed_demo(order_target: int = DEFAULT_ORDERS, *, now: datetime | None = None,
              progress: Progress | None = None) -> SeedResult:
    """Make sure the demo tenants exist with at least ``order_target`` orders; return what happened."""
    if not 0 <= order_target <= MAX_ORDERS:
        raise ValueError(f"order_target must be between 0 and {MAX_ORDERS}")
    result = SeedResult()
    for kind in ("staff logins", "admin logins", "subscribers", "sites", "site users", "orders"):
        result.tally(kind)

    staff, created = _ensure_admin(STAFF_EMAIL, STAFF_NAME, None)
    result.tally("staff logins").created += created
    result.tally("staff logins").existing += not created
    result.logins.append(Login(staff.email, "platform staff", created or staff.check_password(DEMO_PASSWORD)))

    order_sites: list[SiteOrders] = []
    for spec in SUBSCRIBERS:
        subscriber = _ensure_subscriber(spec, result)
        admin, created = _ensure_admin(spec.admin_email, spec.admin_name, subscriber)
        result.tally("admin logins").created += created
        result.tally("admin logins").existing += not created
        site_names = ", ".join(s.name for s in spec.sites)
        result.logins.append(Login(
            admin.email, f"{spec.name} admin ({'sites' if len(spec.sites) > 1 else 'site'}: {site_names})",
            created or admin.check_password(DEMO_PASSWORD),
        ))
        for site_spec in spec.sites:
            site = _ensure_site(subscriber, site_spec, result)
            customers = _ensure_site_users(site, site_spec, result)
            order_sites.append(SiteOrders(site.id, site_spec.number_prefix, 0, site_spec.order_weight,
                                          f"files.{site_spec.domain}", customers))
    db.session.commit()

    result.demo_orders = _ensure_orders(order_sites, order_target, now or utcnow(), result, progress)
    return result


def _ensure_admin(email: str, name: str, subscriber: Subscriber | None) -> tuple[AdminUser, bool]:
    user = db.session.execute(select(AdminUser).where(AdminUser.email == email)).scalar_one_or_none()
    if user is not None:
        return user, False
    user = AdminUser(email=email, name=name, is_staff=subscriber is None, subscriber=subscriber)
    user.set_password(DEMO_PASSWORD)
    db.session.add(user)
    db.session.flush()
    return user, True


def _ensure_subscriber(spec: SubscriberSpec, result: SeedResult) -> Subscriber:
    subscriber = db.session.execute(select(Subscriber).where(Subscriber.slug == spec.slug)).scalar_one_or_none()
    if subscriber is None:
        subscriber = Subscriber(name=spec.name, slug=spec.slug)
        db.session.add(subscriber)
        db.session.flush()
        result.tally("subscribers").created += 1
    else:
        result.tally("subscribers").existing += 1
    result.subscribers[spec.slug] = subscriber
    return subscriber


def _ensure_site(subscriber: Subscriber, spec: SiteSpec, result: SeedResult) -> Site:
    site = db.session.execute(
        select(Site).where(Site.subscriber_id == subscriber.id, Site.name == spec.name)
    ).scalar_one_or_none()
    if site is None:
        site = Site(subscriber=subscriber, name=spec.name, domain=spec.domain)
        db.session.add(site)
        db.session.flush()
        result.tally("sites").created += 1
    else:
        result.tally("sites").existing += 1
    result.sites[spec.name] = site
    return site


def _ensure_site_users(site: Site, spec: SiteSpec, result: SeedResult) -> list[Customer]:
    wanted = demo_customers(spec.domain, spec.customer_count)
    existing = {
        user.email: user
        for user in db.session.execute(
            select(SiteUser).where(SiteUser.site_id == site.id, SiteUser.email.in_([e for e, _ in wanted]))
        ).scalars()
    }
    tally = result.tally("site users")
    for email, address in wanted:
        if email in existing:
            tally.existing += 1
            continue
        existing[email] = SiteUser(site=site, email=email, address=address)
        db.session.add(existing[email])
        tally.created += 1
    db.session.flush()
    # The stored address, not the generated one: an admin may have corrected it since.
    return [Customer(existing[email].id, existing[email].address) for email, _ in wanted]


def _ensure_orders(sites: list[SiteOrders], target: int, now: datetime, result: SeedResult,
                   progress: Progress | None) -> int:
    site_ids = [s.site_id for s in sites]
    existing = db.session.execute(select(func.count(Order.id)).where(Order.site_id.in_(site_ids))).scalar_one()
    tally = result.tally("orders")
    tally.existing = existing
    missing = target - existing
    if missing <= 0:
        db.session.commit()
        return existing

    for site in sites:
        site.last_sequence = _last_sequence(site.site_id, site.number_prefix)
    db.session.commit()  # release the read transaction; each batch below commits on its own

    done = 0
    planned = generate_orders(sites, existing, missing, now)
    for batch in _batches(planned, BATCH_SIZE):
        with db.engine.begin() as connection:
            _insert_batch(connection, batch)
        done += len(batch)
        tally.created = done
        if progress:
            progress(done, missing)
    _refresh_planner_statistics()
    return existing + done


def _refresh_planner_statistics() -> None:
    """Bulk loads leave the planner guessing until autovacuum catches up; PostgreSQL then
    picked nested loops that took seconds on the orders filters. ANALYZE right away; on
    PostgreSQL VACUUM too, so the orders list's counts are index-only scans at once (they
    read the heap for every row until the visibility map is set)."""
    tables = [Order.__table__, OrderItem.__table__, Shipment.__table__, SiteUser.__table__]
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE " + ", ".join(f'"{t.name}"' for t in tables))
    else:
        with db.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")


def _last_sequence(site_id: int, prefix: str) -> int:
    """Highest demo-style number already used on the site, whatever else is there."""
    pattern = re.compile(rf"{re.escape(prefix)}-\d{{6}}")
    numbers = db.session.execute(
        select(Order.number).where(Order.site_id == site_id, Order.number.like(f"{prefix}-%"))
    ).scalars()
    return max((sequence_of(n) for n in numbers if pattern.fullmatch(n)), default=FIRST_SEQUENCE - 1)


def _batches(planned: Iterable[PlannedOrder], size: int) -> Iterator[list[PlannedOrder]]:
    iterator = iter(planned)
    while batch := list(islice(iterator, size)):
        yield batch


ORDER_TABLE = Order.__table__
ITEM_TABLE = OrderItem.__table__
SHIPMENT_TABLE = Shipment.__table__


def _insert_batch(connection, batch: list[PlannedOrder]) -> None:
    """Orders, then their items, then shipments, each child pointing at its parent's new id."""
    if connection.dialect.name == "postgresql":
        _copy_batch(connection, batch)
    else:
        _insert_returning_batch(connection, batch)


def _insert_returning_batch(connection, batch: list[PlannedOrder]) -> None:
    """Core executemany; ``sort_by_parameter_order`` returns the new ids in the order of the rows.

    On SQLite that is one statement per row inside one transaction, which SQLite runs
    in-process at tens of thousands of rows a second.
    """
    order_ids = connection.execute(
        insert(ORDER_TABLE).returning(ORDER_TABLE.c.id, sort_by_parameter_order=True),
        [order.row for order in batch],
    ).scalars().all()
    items = _link_items(batch, order_ids)
    item_ids = connection.execute(
        insert(ITEM_TABLE).returning(ITEM_TABLE.c.id, sort_by_parameter_order=True),
        [item.row for item in items],
    ).scalars().all()
    shipments = _link_shipments(items, item_ids)
    if shipments:
        connection.execute(insert(SHIPMENT_TABLE), shipments)


def _copy_batch(connection, batch: list[PlannedOrder]) -> None:
    """PostgreSQL: ids drawn from the tables' own sequences, rows streamed with COPY.

    A multi-row INSERT with 30,000 placeholders spends most of its time in the driver
    parsing the statement; COPY sends plain rows and is about ten times faster. Ids come
    from ``nextval`` so a web process or worker inserting at the same time can never
    receive one of them.
    """
    order_ids = _reserve_ids(connection, ORDER_TABLE, len(batch))
    for order_id, order in zip(order_ids, batch, strict=True):
        order.row["id"] = order_id
    items = _link_items(batch, order_ids)
    item_ids = _reserve_ids(connection, ITEM_TABLE, len(items))
    for item_id, item in zip(item_ids, items, strict=True):
        item.row["id"] = item_id
    shipments = _link_shipments(items, item_ids)

    _copy_rows(connection, ORDER_TABLE, [order.row for order in batch])
    _copy_rows(connection, ITEM_TABLE, [item.row for item in items])
    if shipments:
        _copy_rows(connection, SHIPMENT_TABLE, shipments)


def _reserve_ids(connection, table, count: int) -> list[int]:
    return sorted(connection.execute(
        text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)"),
        {"table": f'"{table.name}"', "count": count},
    ).scalars())


def _copy_rows(connection, table, rows: list[dict]) -> None:
    columns = list(rows[0])
    names = ", ".join(f'"{table.c[column].name}"' for column in columns)
    cursor = connection.connection.cursor()
    try:
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([row[column] for column in columns])
    finally:
        cursor.close()


def _link_items(batch: list[PlannedOrder], order_ids: list[int]):
    items = []
    for order_id, order in zip(order_ids, batch, strict=True):
        for item in order.items:
            item.row["order_id"] = order_id
            items.append(item)
    return items


def _link_shipments(items, item_ids: list[int]) -> list[dict]:
    shipments = []
    for item_id, item in zip(item_ids, items, strict=True):
        for shipment in item.shipments:
            shipment["item_id"] = item_id
            shipments.append(shipment)
    return shipments
