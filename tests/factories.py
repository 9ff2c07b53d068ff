"""Small builders for test data. Each returns a flushed (not committed) ORM object."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from werkzeug.security import generate_password_hash

from portal.domain.addresses import Address
from portal.domain.orders import Approval, EdocFileState, PaymentMethod, PaymentStatus
from portal.extensions import db
from portal.models import AdminUser, Order, OrderItem, Shipment, Site, SiteUser, Subscriber
from portal.models.types import utcnow

_sequence = itertools.count(1)

PASSWORD = "correct horse battery staple"


def _next() -> int:
    return next(_sequence)


def subscriber(name: str | None = None, **fields) -> Subscriber:
    n = _next()
    obj = Subscriber(name=name or f"Print Co {n}", slug=fields.pop("slug", f"print-co-{n}"), **fields)
    db.session.add(obj)
    db.session.flush()
    return obj


def admin(subscriber_obj: Subscriber | None = None, *, staff: bool = False, password: str = PASSWORD, **fields) -> AdminUser:
    n = _next()
    user = AdminUser(
        email=fields.pop("email", f"admin{n}@example.com"),
        name=fields.pop("name", f"Admin {n}"),
        is_staff=staff,
        subscriber=None if staff else (subscriber_obj or subscriber()),
        **fields,
    )
    # A cheap hash keeps the suite fast; the real method is covered in test_models.py.
    user.password_hash = generate_password_hash(password, method="pbkdf2:sha256:1000")
    db.session.add(user)
    db.session.flush()
    return user


def site(subscriber_obj: Subscriber | None = None, **fields) -> Site:
    n = _next()
    obj = Site(
        subscriber=subscriber_obj or subscriber(),
        name=fields.pop("name", f"Storefront {n}"),
        domain=fields.pop("domain", f"store{n}.example.com"),
        **fields,
    )
    db.session.add(obj)
    db.session.flush()
    return obj


def address(**fields) -> Address:
    base = dict(
        first_name="Ada", last_name="Lovelace", company="Analytical Engines Ltd", line1="12 St James's Square",
        city="London", state="", postal_code="SW1Y 4JH", country="GB", phone="+44 20 7946 0000",
        email="ada@example.com",
    )
    base.update(fields)
    return Address(**base)


def site_user(site_obj: Site | None = None, **fields) -> SiteUser:
    n = _next()
    email = fields.pop("email", f"buyer{n}@example.com")
    obj = SiteUser(
        site=site_obj or site(),
        email=email,
        address=fields.pop("address", address(email=email)),
        **fields,
    )
    db.session.add(obj)
    db.session.flush()
    return obj


def order(
    site_obj: Site | None = None,
    *,
    user: SiteUser | None = None,
    items: int | list[dict] = 1,
    paid: bool = False,
    payment_method: str | None = PaymentMethod.CREDIT_CARD.value,
    **fields,
) -> Order:
    """An order with ``items`` items (a count, or one dict of field overrides per item)."""
    n = _next()
    site_obj = site_obj or (user.site if user else site())
    user = user or site_user(site_obj)
    item_specs = [{} for _ in range(items)] if isinstance(items, int) else items
    obj = Order(
        site=site_obj,
        site_user=user,
        number=fields.pop("number", f"{10000 + n}"),
        placed_at=fields.pop("placed_at", utcnow()),
        po_number=fields.pop("po_number", f"PO-{n}"),
        notes=fields.pop("notes", ""),
        billing_address=fields.pop("billing_address", user.address),
        payment_status=PaymentStatus.PAID.value if paid else PaymentStatus.UNPAID.value,
        payment_method=payment_method,
        paid_at=utcnow() if paid else None,
        **fields,
    )
    subtotal = Decimal("0.00")
    for index, spec in enumerate(item_specs, start=1):
        spec = dict(spec)
        price = Decimal(spec.pop("price", "49.50"))
        is_edoc = spec.pop("is_edoc", False)
        edoc_file_state = spec.pop("edoc_file_state", EdocFileState.PENDING.value if is_edoc else None)
        subtotal += price
        obj.items.append(
            OrderItem(
                number=spec.pop("number", index),
                product_name=spec.pop("product_name", "Business cards"),
                part_number=spec.pop("part_number", f"BC-{index:03d}"),
                options_text=spec.pop("options_text", "Paper: 16pt matte; Sides: 2"),
                quantity=spec.pop("quantity", 500),
                price=price,
                shipping_address=spec.pop("shipping_address", user.address),
                shipping_method=spec.pop("shipping_method", "UPS Ground"),
                shipping_cost=Decimal(spec.pop("shipping_cost", "8.00")),
                requested_delivery_date=spec.pop("requested_delivery_date", date.today() + timedelta(days=7)),
                file_url=spec.pop("file_url", f"https://files.example.com/{n}/{index}.pdf"),
                approval=spec.pop("approval", Approval.APPROVED.value),
                is_edoc=is_edoc,
                edoc_file_state=edoc_file_state,
                **spec,
            )
        )
    if "subtotal" not in fields:
        obj.subtotal = subtotal
        obj.tax1 = (subtotal * Decimal("0.08")).quantize(Decimal("0.01"))
        obj.shipping_cost = sum((i.shipping_cost for i in obj.items), Decimal("0.00"))
        obj.total = obj.subtotal + obj.tax1 + obj.shipping_cost
    db.session.add(obj)
    db.session.flush()
    return obj


def shipment(item: OrderItem, **fields) -> Shipment:
    obj = Shipment(
        item=item,
        ship_date=fields.pop("ship_date", date.today()),
        method=fields.pop("method", "UPS Ground"),
        carrier=fields.pop("carrier", "UPS"),
        tracking_number=fields.pop("tracking_number", f"1Z999AA1{_next():010d}"),
        cost=Decimal(fields.pop("cost", "12.40")),
        **fields,
    )
    db.session.add(obj)
    db.session.flush()
    return obj
