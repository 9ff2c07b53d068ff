"""The data model: constraints, composites, money and time."""

from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError

from portal.domain.addresses import Address
from portal.extensions import db
from portal.models import AdminUser, Order, Site
from tests import factories


def test_money_round_trips_as_decimal(app):
    order = factories.order(items=[{"price": "1234.50"}, {"price": "0.10"}])
    db.session.commit()
    db.session.expire_all()
    reloaded = db.session.get(Order, order.id)
    assert isinstance(reloaded.subtotal, Decimal)
    assert reloaded.subtotal == Decimal("1234.60")
    assert reloaded.items[0].price == Decimal("1234.50")


def test_tax_total_adds_three_taxes_and_vat(app):
    order = factories.order(tax1=Decimal("1.00"), tax2=Decimal("2.00"), tax3=Decimal("3.00"), vat=Decimal("4.50"),
                            subtotal=Decimal("10.00"))
    assert order.tax_total == Decimal("10.50")


def test_addresses_are_values_with_nonascii_intact(app):
    address = factories.address(first_name="Zoë", last_name="O'Brien & <Sons>", city="São Paulo")
    user = factories.site_user(address=address)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(type(user), user.id).address == address


def test_ships_to_one_address_ignores_case_and_spaces(app):
    one = factories.address()
    same = factories.address(line1="  12 st james's square ")
    other = factories.address(line1="1 Infinite Loop")
    assert factories.order(items=[{"shipping_address": one}, {"shipping_address": same}]).ships_to_one_address
    assert not factories.order(items=[{"shipping_address": one}, {"shipping_address": other}]).ships_to_one_address


def test_timestamps_are_utc_aware(app):
    order = factories.order(placed_at=datetime(2026, 11, 2, 14, 3, tzinfo=timezone.utc))
    db.session.commit()
    db.session.expire_all()
    placed = db.session.get(Order, order.id).placed_at
    assert placed.tzinfo is not None
    assert placed == datetime(2026, 11, 2, 14, 3, tzinfo=timezone.utc)


def test_naive_datetimes_are_refused(app):
    with pytest.raises(StatementError, match="naive datetime"):
        factories.order(placed_at=datetime(2026, 11, 2, 14, 3))
    db.session.rollback()


def test_order_number_is_unique_per_site(app):
    site = factories.site()
    factories.order(site, number="A-1")
    factories.order(factories.site(site.subscriber), number="A-1")  # another site may reuse it
    db.session.flush()
    with pytest.raises(IntegrityError):
        factories.order(site, number="A-1")
    db.session.rollback()


def test_admin_is_either_staff_or_of_one_subscriber(app):
    subscriber = factories.subscriber()
    db.session.add(AdminUser(email="x@example.com", name="X", password_hash="x", is_staff=True, subscriber=subscriber))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    db.session.add(AdminUser(email="y@example.com", name="Y", password_hash="x", is_staff=False))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_passwords_are_hashed(app):
    user = factories.admin()
    user.set_password("s3cret-pass")
    assert user.password_hash.startswith("scrypt:")
    assert "s3cret-pass" not in user.password_hash
    assert user.check_password("s3cret-pass")
    assert not user.check_password("s3cret-pas")


def test_site_names_are_unique_within_a_subscriber(app):
    subscriber = factories.subscriber()
    factories.site(subscriber, name="Cards")
    factories.site(factories.subscriber(), name="Cards")
    db.session.flush()
    with pytest.raises(IntegrityError):
        factories.site(subscriber, name="Cards")
    db.session.rollback()


def test_deleting_an_order_deletes_its_items_and_shipments(app):
    order = factories.order(items=2)
    factories.shipment(order.items[0])
    db.session.commit()
    db.session.delete(order)
    db.session.commit()
    assert db.session.execute(select(Order)).first() is None
    from portal.models import OrderItem, Shipment

    assert db.session.execute(select(OrderItem)).first() is None
    assert db.session.execute(select(Shipment)).first() is None


def test_subscriber_sites_are_ordered_by_name(app):
    subscriber = factories.subscriber()
    factories.site(subscriber, name="Zebra")
    factories.site(subscriber, name="Alpha")
    db.session.commit()
    db.session.expire_all()
    assert [s.name for s in subscriber.sites] == ["Alpha", "Zebra"]
    assert isinstance(subscriber.sites[0], Site)
    assert Address().lines() == []
