"""``flask demo seed``: logins that work, a realistic state mix, totals that add up, idempotent reruns."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.demo import generator
from portal.demo.seed import DEMO_PASSWORD, STAFF_EMAIL
from portal.domain.orders import Approval, EdocFileState, PaymentMethod, PaymentStatus, is_eligible
from portal.extensions import db
from portal.models import AdminUser, Order, OrderItem, Shipment, Site, SiteLink, SiteUser, Subscriber
from portal.models.types import utcnow

ORDERS = 60
ADMIN_EMAILS = {"acme-print": "admin@acme-print.example", "northwind-press": "admin@northwind-press.example"}


def seed(app, *args: str):
    result = app.test_cli_runner().invoke(args=["demo", "seed", *args])
    db.session.expire_all()
    return result


@pytest.fixture
def seeded(app):
    result = seed(app, "--orders", str(ORDERS))
    assert result.exit_code == 0, result.output
    return result


def all_orders() -> list[Order]:
    return list(db.session.execute(
        select(Order).options(selectinload(Order.items).selectinload(OrderItem.shipments)).order_by(Order.id)
    ).scalars())


def row_counts() -> dict[str, int]:
    return {
        model.__name__: db.session.execute(select(func.count()).select_from(model)).scalar_one()
        for model in (AdminUser, Subscriber, Site, SiteUser, Order, OrderItem, Shipment)
    }


def test_prints_the_logins_and_the_demo_password(seeded):
    assert STAFF_EMAIL in seeded.output
    for email in ADMIN_EMAILS.values():
        assert email in seeded.output
    assert f'"{DEMO_PASSWORD}"' in seeded.output
    assert "demo accounts" in seeded.output


@pytest.mark.parametrize("email", [STAFF_EMAIL, *ADMIN_EMAILS.values()])
def test_every_printed_login_can_sign_in(seeded, client, email):
    response = client.post("/auth/login", data={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.text
    assert client.get("/").status_code == 302
    user = db.session.execute(select(AdminUser).where(AdminUser.email == email)).scalar_one()
    assert user.is_staff == (email == STAFF_EMAIL)


def test_creates_two_subscribers_three_sites_their_users_and_the_orders(seeded):
    subscribers = {s.slug: s for s in db.session.execute(select(Subscriber)).scalars()}
    assert {"acme-print", "northwind-press"} <= subscribers.keys()
    assert subscribers["acme-print"].name == "Acme Print"
    assert [s.name for s in subscribers["acme-print"].sites] == ["Acme Business Center", "Acme Print Shop"]
    assert [s.name for s in subscribers["northwind-press"].sites] == ["Northwind Press Store"]
    for slug, email in ADMIN_EMAILS.items():
        admin = db.session.execute(select(AdminUser).where(AdminUser.email == email)).scalar_one()
        assert admin.subscriber_id == subscribers[slug].id

    counts = row_counts()
    assert counts["Order"] == ORDERS
    assert counts["SiteUser"] == 18 + 12 + 15
    per_site = Counter(o.site.name for o in all_orders())
    assert set(per_site) == {"Acme Print Shop", "Acme Business Center", "Northwind Press Store"}
    for order in all_orders():
        assert order.site_user.site_id == order.site_id
        assert 1 <= len(order.items) <= 4
        assert [i.number for i in order.items] == list(range(1, len(order.items) + 1))


def test_orders_cover_every_state_in_realistic_shares(seeded):
    orders = all_orders()
    payments = Counter(
        "open terms" if o.payment_method == PaymentMethod.OPEN_TERMS.value else o.payment_status for o in orders
    )
    assert set(payments) == {PaymentStatus.PAID.value, PaymentStatus.UNPAID.value, "open terms"}
    assert 0.45 <= payments["paid"] / len(orders) <= 0.75
    assert payments["open terms"] < payments["unpaid"] < payments["paid"]

    approvals = Counter(
        "denied" if any(i.approval == Approval.DENIED.value for i in o.items)
        else "pending" if any(i.approval == Approval.PENDING.value for i in o.items)
        else "approved"
        for o in orders
    )
    assert approvals["approved"] / len(orders) >= 0.7
    assert approvals["pending"] >= 1 and approvals["denied"] >= 1

    edoc_states = Counter(i.edoc_file_state for o in orders for i in o.items if i.is_edoc)
    assert edoc_states[EdocFileState.PENDING.value] >= 1 and edoc_states[EdocFileState.READY.value] >= 1
    assert all(i.edoc_file_state is None for o in orders for i in o.items if not i.is_edoc)

    several = [o for o in orders if not o.ships_to_one_address]
    assert 0.1 <= len(several) / len(orders) <= 0.3
    assert any(o.ships_to_one_address and len(o.items) > 1 for o in orders)

    eligible = [o for o in orders if is_eligible(o)]
    assert 0 < len(eligible) < len(orders)
    statuses = Counter(i.status for o in orders for i in o.items)
    assert statuses.most_common(1)[0][0] == "Received"


def test_orders_written_in_bulk_are_held_back_by_the_same_rules(seeded):
    """The seed writes past the ORM hook that keeps ``Order.held_back``, so it sets the column itself."""
    from portal.orders.queries import not_eligible

    held_back = set(db.session.scalars(select(Order.id).where(Order.held_back)))
    by_sql = set(db.session.scalars(select(Order.id).where(not_eligible())))
    by_rules = {order.id for order in all_orders() if not is_eligible(order)}
    assert held_back == by_sql == by_rules and 0 < len(held_back) < ORDERS


def test_only_older_eligible_orders_have_shipments(seeded):
    shipped = [o for o in all_orders() if any(i.shipments for i in o.items)]
    assert shipped
    today = utcnow().date()
    for order in shipped:
        assert is_eligible(order)
        assert utcnow() - order.placed_at > timedelta(days=7)
        for item in order.items:
            for shipment in item.shipments:
                assert item.status == "Shipped"
                assert order.placed_at.date() < shipment.ship_date <= today
                assert shipment.carrier in {"UPS", "FedEx", "USPS"} and shipment.tracking_number
            assert sum((s.cost for s in item.shipments), Decimal("0.00")) in (Decimal("0.00"), item.shipping_cost)


def test_money_adds_up_to_the_cent(seeded):
    for order in all_orders():
        amounts = [order.subtotal, order.tax1, order.tax2, order.tax3, order.vat, order.shipping_cost, order.total]
        assert all(isinstance(a, Decimal) and a == a.quantize(Decimal("0.01")) and a >= 0 for a in amounts)
        assert order.subtotal == sum((i.price for i in order.items), Decimal("0.00"))
        assert order.shipping_cost == sum((i.shipping_cost for i in order.items), Decimal("0.00"))
        assert order.total == order.subtotal + order.tax1 + order.tax2 + order.tax3 + order.vat + order.shipping_cost
        assert order.subtotal > 0


def test_order_numbers_are_unique_and_follow_the_placing_order(seeded):
    orders = all_orders()
    numbers = [o.number for o in orders]
    assert len(set(numbers)) == len(numbers)
    prefixes = {"Acme Print Shop": "A", "Acme Business Center": "B", "Northwind Press Store": "N"}
    by_site: dict[str, list[Order]] = {}
    for order in orders:
        assert re.fullmatch(rf"{prefixes[order.site.name]}-1\d{{5}}", order.number), order.number
        by_site.setdefault(order.site.name, []).append(order)
    for site_orders in by_site.values():
        site_orders.sort(key=lambda o: o.number)
        assert site_orders[0].number.endswith("-100001")
        assert [o.placed_at for o in site_orders] == sorted(o.placed_at for o in site_orders)


def test_dates_lie_in_the_last_45_days_and_never_in_the_future(seeded):
    now = utcnow()
    for order in all_orders():
        assert now - timedelta(days=46) < order.placed_at <= now
        if order.is_paid:
            assert order.placed_at <= order.paid_at <= now
        else:
            assert order.paid_at is None
        for item in order.items:
            if item.approval == Approval.PENDING.value:
                assert item.approval_changed_at is None
            else:
                assert order.placed_at <= item.approval_changed_at <= now


def test_content_looks_like_a_print_shop_and_exercises_escaping(seeded):
    orders = all_orders()
    items = [i for o in orders for i in o.items]
    assert {i.shipping_method for i in items} & {"UPS Ground", "FedEx 2Day", "USPS Priority", "Local pickup"}
    assert all(re.fullmatch(r"[A-Z]{2}(-[0-9A-Z]+)+", i.part_number) for i in items)
    assert all(": " in i.options_text for i in items)
    assert all(i.file_url.startswith("https://") for i in items if not i.edoc_pending)
    assert len({i.product_name for i in items}) >= 5

    users = db.session.execute(select(SiteUser)).scalars().all()
    companies = {u.address.company for u in users}
    cities = {u.address.city for u in users}
    names = {u.address.full_name for u in users}
    assert "O'Brien & Sons <Intl>" in companies
    assert "São Paulo" in cities and "Zoë Müller" in names
    assert all(u.email.isascii() and "@" in u.email for u in users)


def test_second_run_creates_nothing(app, seeded):
    before = row_counts()
    again = seed(app, "--orders", str(ORDERS))
    assert again.exit_code == 0, again.output
    assert row_counts() == before
    created = {line.split()[-2] for line in again.output.splitlines() if re.match(r"\s+[a-z ]+\s+\d+\s+\d+$", line)}
    assert created == {"0"}
    assert STAFF_EMAIL in again.output and "password changed" not in again.output


def test_a_larger_target_adds_only_the_missing_orders(app, seeded):
    numbers_before = {o.number for o in all_orders()}
    result = seed(app, "--orders", str(ORDERS + 25))
    assert result.exit_code == 0, result.output
    orders = all_orders()
    assert len(orders) == ORDERS + 25
    assert numbers_before < {o.number for o in orders}
    assert len({o.number for o in orders}) == len(orders)
    assert row_counts()["SiteUser"] == 45

    smaller = seed(app, "--orders", "10")
    assert smaller.exit_code == 0 and len(all_orders()) == ORDERS + 25


def test_a_changed_password_is_reported_not_reset(app, seeded):
    admin = db.session.execute(select(AdminUser).where(AdminUser.email == ADMIN_EMAILS["acme-print"])).scalar_one()
    admin.set_password("something else entirely")
    db.session.commit()
    result = seed(app, "--orders", str(ORDERS))
    line = next(line for line in result.output.splitlines() if ADMIN_EMAILS["acme-print"] in line)
    assert "password changed" in line
    db.session.refresh(admin)
    assert admin.check_password("something else entirely")


def test_zero_orders_still_creates_the_logins(app):
    result = seed(app, "--orders", "0")
    assert result.exit_code == 0, result.output
    assert row_counts()["Order"] == 0
    assert row_counts()["AdminUser"] == 3


@pytest.mark.parametrize("value, message", [
    ("-1", "must be a whole number from 0 to 1,000,000"),
    ("abc", "'abc' is not a valid integer"),
    ("2.5", "'2.5' is not a valid integer"),
    ("1000001", "must be a whole number from 0 to 1,000,000"),
])
def test_bad_order_counts_are_refused_with_a_usage_error(app, value, message):
    result = seed(app, "--orders", value)
    assert result.exit_code == 2
    assert "Invalid value for '--orders'" in result.output and message in result.output
    assert "Traceback" not in result.output
    assert row_counts()["AdminUser"] == 0


def test_sets_up_embedded_services_for_acme_print(app):
    result = seed(app, "--orders", "5")
    assert result.exit_code == 0, result.output
    acme = db.session.execute(select(Subscriber).where(Subscriber.slug == "acme-print")).scalar_one()
    northwind = db.session.execute(select(Subscriber).where(Subscriber.slug == "northwind-press")).scalar_one()
    assert acme.embedded_services_authorized and not northwind.embedded_services_authorized
    link = db.session.execute(select(SiteLink)).scalar_one()
    assert (link.site.name, link.account.subscriber_id) == ("Acme Print Shop", acme.id)
    assert link.account.url == app.config["PRESSWISE_EMULATOR_URL"]
    assert "Embedded Services: Acme Print authorized" in result.output


def test_refuses_to_run_in_production(app):
    app.config["PORTAL_ENV"] = "production"
    result = seed(app, "--orders", "5")
    assert result.exit_code != 0
    assert "never seeded in production" in result.output
    assert db.session.execute(select(func.count()).select_from(AdminUser)).scalar_one() == 0


def test_the_generator_repeats_itself_for_the_same_seed():
    now = utcnow()

    def rows():
        customers = [generator.Customer(n, address) for n, (_, address) in
                     enumerate(generator.demo_customers("shop.example", 10), start=1)]
        site = generator.SiteOrders(1, "A", 100_000, 1, "files.shop.example", customers)
        return [(o.row, [i.row for i in o.items]) for o in generator.generate_orders([site], 0, 40, now)]

    assert rows() == rows()


def test_ordinary_inserts_after_the_bulk_seed_get_fresh_ids(seeded):
    from tests import factories

    site = db.session.execute(select(Site).where(Site.name == "Acme Print Shop")).scalar_one()
    highest_item = db.session.execute(select(func.max(OrderItem.id))).scalar_one()
    order = factories.order(site, items=2, number="A-900001")
    db.session.commit()
    assert min(i.id for i in order.items) > highest_item
    assert row_counts()["Order"] == ORDERS + 1


def test_bulk_seeding_leaves_fresh_planner_statistics(app):
    """Without them PostgreSQL planned the orders filters as nested loops taking seconds."""
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            started = connection.exec_driver_sql("SELECT clock_timestamp()").scalar_one()
        else:
            connection.exec_driver_sql("ANALYZE sqlite_schema")  # makes sure sqlite_stat1 exists
            connection.exec_driver_sql("DELETE FROM sqlite_stat1")
    assert seed(app, "--orders", "30").exit_code == 0
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            analyzed = connection.exec_driver_sql(
                "SELECT relname, last_analyze FROM pg_stat_user_tables WHERE relname IN ('order', 'order_item')"
            ).all()
            assert len(analyzed) == 2
            assert all(last is not None and last >= started for _, last in analyzed), analyzed
        else:
            tables = set(connection.exec_driver_sql("SELECT tbl FROM sqlite_stat1").scalars())
            assert {"order", "order_item"} <= tables
