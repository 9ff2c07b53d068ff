"""A shopper places an order on a demo site: the storefront's side of "an order arrives".

The storefront itself is outside this portal; ``flask demo place-order`` stands in for it so an
order that arrives already eligible (paid, approved) can be seen going to PressWise by itself.
"""

from __future__ import annotations

import random

from sqlalchemy import func, select

from portal.domain.orders import Approval, PaymentMethod, PaymentStatus
from portal.extensions import db
from portal.integration.push import push_when_eligible
from portal.models import Order, OrderItem, Site, SiteUser
from portal.models.types import utcnow

ITEM_COLUMNS = ("product_name", "part_number", "options_text", "quantity", "price", "shipping_address",
                "shipping_method", "shipping_cost", "requested_delivery_date", "file_url", "notes")
ORDER_COLUMNS = ("po_number", "notes", "billing_address", "subtotal", "tax1", "tax2", "tax3", "vat", "shipping_cost",
                 "total")


class NothingToCopy(LookupError):
    """The site has no order or no site user to model a new order on."""


def place_order(site: Site, *, paid: bool = True, approved: bool = True, seed: int | None = None) -> Order:
    """A new order on ``site``, modelled on one of its orders (new number, placed now); commits, then
    hands it to the push like any order that arrives, so an eligible one goes out by itself."""
    rng = random.Random(seed)
    model = db.session.scalar(select(Order).where(Order.site_id == site.id, Order.items.any())
                              .order_by(Order.placed_at.desc()).limit(25).offset(rng.randrange(5)))
    model = model or db.session.scalar(select(Order).where(Order.site_id == site.id, Order.items.any()).limit(1))
    user = db.session.scalar(select(SiteUser).where(SiteUser.site_id == site.id).order_by(func.random()).limit(1))
    if model is None or user is None:
        raise NothingToCopy(f"{site.name} has no order and site user to model a new order on")
    order = Order(site_id=site.id, site_user_id=user.id, number=_next_number(site, model.number), placed_at=utcnow(),
                  payment_status=PaymentStatus.PAID.value if paid else PaymentStatus.UNPAID.value,
                  payment_method=PaymentMethod.CREDIT_CARD.value, paid_at=utcnow() if paid else None,
                  **{column: getattr(model, column) for column in ORDER_COLUMNS})
    for item in model.items:
        order.items.append(OrderItem(
            number=item.number, approval=(Approval.APPROVED if approved else Approval.PENDING).value,
            is_edoc=False, **{column: getattr(item, column) for column in ITEM_COLUMNS}))
    db.session.add(order)
    db.session.commit()
    push_when_eligible(order)
    return order


def _next_number(site: Site, like: str) -> str:
    prefix = like.rstrip("0123456789")
    numbers = db.session.scalars(select(Order.number).where(Order.site_id == site.id, Order.number.like(f"{prefix}%")))
    highest = max((int(n[len(prefix):]) for n in numbers if n[len(prefix):].isdecimal() and n[len(prefix):].isascii()),
                  default=0)
    return f"{prefix}{highest + 1}"
