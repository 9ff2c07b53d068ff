"""The storefront side: sites, their users, orders, items and shipments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    event,
    func,
    inspect,
    or_,
    true,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, Session, composite, mapped_column, relationship

from portal.domain.addresses import ADDRESS_FIELDS, Address, ship_to_one_address
from portal.domain.orders import (
    Approval,
    EdocFileState,
    ItemStatus,
    PaymentMethod,
    PaymentStatus,
    edoc_file_pending,
    integration_holds,
    tax_total,
)
from portal.extensions import db
from portal.models.types import ZERO, Money, UTCDateTime, utcnow

ADDRESS_LENGTHS = {
    "first_name": 80, "last_name": 80, "company": 120, "line1": 120, "line2": 120, "line3": 120,
    "city": 80, "state": 60, "postal_code": 20, "country": 60, "phone": 40, "email": 254,
}


def _address(prefix: str):
    """A composite of plain columns ``<prefix>_<field>``, all NOT NULL defaulting to ''."""
    columns = [
        mapped_column(f"{prefix}_{name}", String(ADDRESS_LENGTHS[name]), nullable=False, default="", server_default="")
        for name in ADDRESS_FIELDS
    ]
    return composite(Address, *columns)


class Site(db.Model):
    """A web-to-print storefront of one subscriber."""

    __tablename__ = "site"
    __table_args__ = (UniqueConstraint("subscriber_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscriber.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    domain: Mapped[str] = mapped_column(String(253), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    subscriber: Mapped["Subscriber"] = relationship(back_populates="sites")  # noqa: F821
    users: Mapped[list[SiteUser]] = relationship(back_populates="site", order_by="SiteUser.email")
    orders: Mapped[list[Order]] = relationship(back_populates="site", lazy="dynamic")

    def __repr__(self) -> str:
        return f"<Site {self.name}>"


class SiteUser(db.Model):
    """A customer who signs in to a storefront site and places orders."""

    __tablename__ = "site_user"
    __table_args__ = (UniqueConstraint("site_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[Address] = _address("contact")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site: Mapped[Site] = relationship(back_populates="users")
    orders: Mapped[list[Order]] = relationship(back_populates="site_user", lazy="dynamic")

    @property
    def display_name(self) -> str:
        return self.address.full_name or self.email

    def __repr__(self) -> str:
        return f"<SiteUser {self.email}>"


class Order(db.Model):
    """An order placed on a storefront site."""

    __tablename__ = "order"  # quoted by SQLAlchemy on every dialect
    __table_args__ = (
        UniqueConstraint("site_id", "number"),
        Index("ix_order_site_placed", "site_id", "placed_at"),
        # text_pattern_ops on PostgreSQL: the same index answers a number's prefix (LIKE 'A-10%').
        Index("ix_order_number", "number", postgresql_ops={"number": "text_pattern_ops"}),
        # The orders list counts held-back orders per site on every load: from the index alone.
        Index("ix_order_site_held_back", "site_id", "held_back"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    site_user_id: Mapped[int | None] = mapped_column(ForeignKey("site_user.id"), index=True)
    number: Mapped[str] = mapped_column(String(40))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    po_number: Mapped[str] = mapped_column(String(60), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    billing_address: Mapped[Address] = _address("billing")

    payment_status: Mapped[str] = mapped_column(String(16), default=PaymentStatus.UNPAID.value, index=True)
    payment_method: Mapped[str | None] = mapped_column(String(24))
    payment_reference: Mapped[str] = mapped_column(String(80), default="")
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Whether an integration rule holds the order back (integration_holds is not empty), kept so the
    # orders list can count such orders without evaluating the rules over every item. The ORM keeps it
    # (_keep_held_back_current below); rows written with Core (the demo seed) set it themselves. The
    # server default only covers a writer that forgot: it shows the order as held, not as pushable.
    held_back: Mapped[bool] = mapped_column(Boolean, server_default=true())

    subtotal: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    tax1: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    tax2: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    tax3: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    vat: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    shipping_cost: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    total: Mapped[Decimal] = mapped_column(Money, default=ZERO)

    site: Mapped[Site] = relationship(back_populates="orders")
    site_user: Mapped[SiteUser | None] = relationship(back_populates="orders")
    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", order_by="OrderItem.number", cascade="all, delete-orphan"
    )
    # Its pushes to partner accounts (portal.models.integration); written by the integration code only.
    integrations: Mapped[list["OrderIntegration"]] = relationship(  # noqa: F821
        viewonly=True, order_by="OrderIntegration.account_id"
    )

    @property
    def tax_total(self) -> Decimal:
        return tax_total(self)

    @property
    def is_paid(self) -> bool:
        return self.payment_status == PaymentStatus.PAID.value

    @property
    def is_open_terms(self) -> bool:
        return self.payment_method == PaymentMethod.OPEN_TERMS.value

    @property
    def payment_method_label(self) -> str:
        return PaymentMethod(self.payment_method).label if self.payment_method else "None"

    @property
    def integration_holds(self):
        return integration_holds(self)

    @property
    def ships_to_one_address(self) -> bool:
        return ship_to_one_address(self.items)

    def __repr__(self) -> str:
        return f"<Order {self.number}>"


# The orders search (portal.orders.queries._search) finds the PO number and a piece of the billing
# e-mail from indexes on PostgreSQL (pg_trgm's trigrams for "contains"). SQLite scans for the e-mail
# anyway, so it gets neither (and cannot reflect expression indexes for `flask db check`).
POSTGRESQL_ONLY = {"only_on": "postgresql"}
Index("ix_order_po_number_lower", func.lower(Order.po_number).label("po_number_lower"),
      info=POSTGRESQL_ONLY).ddl_if(dialect="postgresql")
Index("ix_order_billing_email_trigram", func.lower(Order.__table__.c.billing_email).label("billing_email_lower"),
      postgresql_using="gin", postgresql_ops={"billing_email_lower": "gin_trgm_ops"},
      info=POSTGRESQL_ONLY).ddl_if(dialect="postgresql")


class OrderItem(db.Model):
    """One line of an order: a product with its options, quantity, shipping and approval."""

    __tablename__ = "order_item"
    __table_args__ = (
        UniqueConstraint("order_id", "number"),
        Index("ix_order_item_approval", "approval"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    product_name: Mapped[str] = mapped_column(String(200))
    part_number: Mapped[str] = mapped_column(String(80), default="")
    options_text: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    price: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    shipping_address: Mapped[Address] = _address("ship")
    shipping_method: Mapped[str] = mapped_column(String(80), default="")
    shipping_cost: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    requested_delivery_date: Mapped[date | None] = mapped_column(Date)
    file_url: Mapped[str] = mapped_column(String(500), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    approval: Mapped[str] = mapped_column(String(16), default=Approval.PENDING.value)
    approval_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_edoc: Mapped[bool] = mapped_column(Boolean, default=False)
    edoc_file_state: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(40), default=ItemStatus.RECEIVED.value)

    order: Mapped[Order] = relationship(back_populates="items")
    shipments: Mapped[list[Shipment]] = relationship(
        back_populates="item", order_by="Shipment.ship_date", cascade="all, delete-orphan"
    )

    @hybrid_property
    def edoc_pending(self) -> bool:
        return edoc_file_pending(self)

    @edoc_pending.inplace.expression
    @classmethod
    def _edoc_pending_expression(cls):
        # The SQL form of portal.domain.orders.edoc_file_pending, for the orders list filter;
        # tests/test_integration_rules.py checks that the two agree on every state.
        return and_(
            cls.is_edoc.is_(True),
            or_(cls.edoc_file_state.is_(None), cls.edoc_file_state != EdocFileState.READY.value),
        )

    def __repr__(self) -> str:
        return f"<OrderItem {self.order_id}#{self.number}>"


# What the integration rules read: a change to any of these can hold an order back or release it.
ORDER_RULE_FIELDS = ("payment_status", "payment_method")
ITEM_RULE_FIELDS = ("approval", "is_edoc", "edoc_file_state", "order_id")


def _changed(obj, fields) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in fields)


@event.listens_for(Session, "before_flush")
def _keep_held_back_current(session, flush_context, instances) -> None:
    """Set ``Order.held_back`` from the rules for every order whose rule fields or items change in
    this flush, whichever path changed them (admin actions, place-order, tests)."""
    orders = set()
    for obj in session.new:
        if isinstance(obj, Order):
            orders.add(obj)
        elif isinstance(obj, OrderItem) and obj.order is not None:
            orders.add(obj.order)
    for obj in session.dirty:
        if isinstance(obj, Order) and _changed(obj, (*ORDER_RULE_FIELDS, "items")):
            orders.add(obj)
        elif isinstance(obj, OrderItem) and _changed(obj, ITEM_RULE_FIELDS) and obj.order is not None:
            orders.add(obj.order)
    for obj in session.deleted:
        if isinstance(obj, OrderItem) and obj.order is not None:
            orders.add(obj.order)
    for order in orders:
        if order in session.deleted:
            continue
        # An item deleted in this flush may still sit in the loaded collection.
        items = [_as_stored(session, item, ("number", *ITEM_RULE_FIELDS)) for item in order.items
                 if item not in session.deleted]
        held_back = bool(integration_holds(SimpleNamespace(**vars(_as_stored(session, order, ORDER_RULE_FIELDS)),
                                                            items=items)))
        if order.held_back is not held_back:
            order.held_back = held_back


def _as_stored(session, obj, fields) -> SimpleNamespace:
    """``fields`` of ``obj`` as the row will hold them: on a new object a field left unset takes its
    column default at INSERT (an item's approval starts pending), after this hook has run."""
    values = {}
    for name in fields:
        value = getattr(obj, name)
        default = obj.__table__.c[name].default
        if value is None and obj in session.new and default is not None and default.is_scalar:
            value = default.arg
        values[name] = value
    return SimpleNamespace(**values)


class Shipment(db.Model):
    """A parcel that left for one item: when, how, and the tracking number.

    One reported by a partner carries its natural key (``portal.domain.sync.shipment_key``),
    unique per item, so a status sync that sees it again adds nothing.
    """

    __tablename__ = "shipment"
    __table_args__ = (UniqueConstraint("item_id", "partner_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("order_item.id", ondelete="CASCADE"), index=True)
    ship_date: Mapped[date | None] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(80), default="")
    carrier: Mapped[str] = mapped_column(String(80), default="")
    tracking_number: Mapped[str] = mapped_column(String(80), default="")
    cost: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    partner_key: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[OrderItem] = relationship(back_populates="shipments")
