"""Deterministic demo customers and orders as plain rows, ready for a bulk ``INSERT``.

No Flask and no database here: the seed command feeds these rows to SQLAlchemy Core.
Content comes from a ``random.Random`` with a fixed seed, so a fresh database seeded with
the same ``--orders`` gets the same orders. The state mix (payment, approval, eDoc,
several addresses) is not drawn at random but read from Weyl sequences of the order's
global index: every stretch of a few dozen orders holds each state in about the intended
share, so even a 60-order demo shows denied items and pending eDoc files, and a
top-up run continues the mix where the previous run stopped.
"""

from __future__ import annotations

import math
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from types import SimpleNamespace
from typing import Iterator

from portal.demo import catalog
from portal.demo.catalog import Place, Product, ShippingMethod
from portal.domain.addresses import ADDRESS_FIELDS, Address
from portal.domain.orders import Approval, EdocFileState, ItemStatus, PaymentMethod, PaymentStatus, is_eligible

SEED = "portal-demo-v1"
DAYS_OF_HISTORY = 45

# Intended shares of the state mix (each line sums to 1).
PAID, UNPAID, OPEN_TERMS = 0.60, 0.25, 0.15
ALL_APPROVED, SOME_PENDING, SOME_DENIED = 0.80, 0.15, 0.05
EDOC_PENDING, EDOC_READY = 0.05, 0.05
SEVERAL_ADDRESSES = 0.20

# One irrational step per dimension; rationally independent, so the dimensions do not line up.
_STEP_PAYMENT = math.sqrt(2) - 1
_STEP_APPROVAL = math.sqrt(3) - 1
_STEP_EDOC = math.sqrt(5) - 2
_STEP_ADDRESSES = math.sqrt(7) - 2

_PLACES_BY_CITY = {p.city: p for p in catalog.DOMESTIC_PLACES + catalog.INTERNATIONAL_PLACES}


@dataclass
class Customer:
    """A site user the generator may place orders for."""

    site_user_id: int
    address: Address


@dataclass
class SiteOrders:
    """Where generated orders go, and the last order number used there."""

    site_id: int
    number_prefix: str
    last_sequence: int
    weight: int
    file_host: str
    customers: list[Customer]

    def next_number(self) -> str:
        self.last_sequence += 1
        return order_number(self.number_prefix, self.last_sequence)


@dataclass
class PlannedItem:
    row: dict
    shipments: list[dict] = field(default_factory=list)


@dataclass
class PlannedOrder:
    row: dict
    items: list[PlannedItem]


FIRST_SEQUENCE = 100_001


def order_number(prefix: str, sequence: int) -> str:
    """``A-100001``: fixed width, so the highest number is also the greatest string."""
    return f"{prefix}-{sequence:06d}"


def sequence_of(number: str) -> int:
    return int(number.rsplit("-", 1)[1])


def cents(amount: int) -> Decimal:
    return Decimal(amount).scaleb(-2)


def _share(index: int, step: float) -> float:
    return (index * step + 0.5) % 1.0


# --------------------------------------------------------------------------- customers


def ascii_slug(text: str, separator: str = "") -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = "".join(c if c.isalnum() else " " for c in folded).split()
    return separator.join(words)


def company_domain(company: str) -> str:
    return ascii_slug(company, "-") + ".example"


def demo_customers(site_key: str, count: int) -> list[tuple[str, Address]]:
    """``count`` (email, contact address) pairs for one site; the showcase people come first."""
    rng = random.Random(f"{SEED}/customers/{site_key}")
    people: list[tuple[str, str, str, Place, str]] = [
        (p.first_name, p.last_name, p.company, p.place, p.street) for p in catalog.SHOWCASE_PEOPLE
    ]
    while len(people) < count:
        if rng.random() < 0.12:
            place = rng.choice(catalog.INTERNATIONAL_PLACES)
            company = rng.choice(catalog.INTERNATIONAL_COMPANIES[place.country])
        else:
            place = rng.choice(catalog.DOMESTIC_PLACES)
            company = rng.choice(catalog.COMPANIES)
        people.append((rng.choice(catalog.FIRST_NAMES), rng.choice(catalog.LAST_NAMES), company, place,
                       rng.choice(place.streets)))

    customers: list[tuple[str, Address]] = []
    seen: set[str] = set()
    for first, last, company, place, street in people[:count]:
        local = f"{ascii_slug(first)}.{ascii_slug(last)}"
        email = f"{local}@{company_domain(company)}"
        suffix = 2
        while email in seen:
            email = f"{local}{suffix}@{company_domain(company)}"
            suffix += 1
        seen.add(email)
        customers.append((email, _address(rng, first, last, company, place, street, email)))
    return customers


def _address(rng: random.Random, first: str, last: str, company: str, place: Place, street: str, email: str) -> Address:
    number = rng.randint(10, 9800)
    line1 = f"{street} {number}" if place.country in ("DE", "BR") else f"{number} {street}"
    return Address(
        first_name=first,
        last_name=last,
        company=company,
        line1=line1,
        line2=rng.choice(catalog.LINE2_CHOICES) if rng.random() < 0.25 else "",
        city=place.city,
        state=place.state,
        postal_code=place.postal_code,
        country=place.country,
        phone=f"{place.phone_prefix}{rng.randint(100, 9999):04d}",
        email=email,
    )


def _branch_address(rng: random.Random, company: str, country: str) -> Address:
    """Another office of the same company: a second or third ship-to on one order."""
    domestic = country == "US" or rng.random() < 0.5
    place = rng.choice(catalog.DOMESTIC_PLACES if domestic else
                       [p for p in catalog.INTERNATIONAL_PLACES if p.country == country] or catalog.DOMESTIC_PLACES)
    first, last = rng.choice(catalog.FIRST_NAMES), rng.choice(catalog.LAST_NAMES)
    email = f"{ascii_slug(first)}.{ascii_slug(last)}@{company_domain(company)}"
    return _address(rng, first, last, company, place, rng.choice(place.streets), email)


@lru_cache(maxsize=4096)
def address_columns(prefix: str, address: Address) -> dict[str, str]:
    return {f"{prefix}_{name}": getattr(address, name) for name in ADDRESS_FIELDS}


# --------------------------------------------------------------------------- orders


def placed_times(rng: random.Random, count: int, now: datetime) -> list[datetime]:
    """``count`` times over the last DAYS_OF_HISTORY days, oldest first, mostly in working hours."""
    times = []
    for _ in range(count):
        day = now - timedelta(days=rng.randrange(DAYS_OF_HISTORY))
        hour = rng.choice((13, 14, 15, 16, 16, 17, 18, 19, 19, 20, 21, 22, 23, 2))  # 8am-6pm US Eastern, in UTC
        moment = day.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60), microsecond=0)
        if moment > now:
            moment -= timedelta(days=1)
        times.append(moment)
    times.sort()
    return times


def generate_orders(sites: list[SiteOrders], first_index: int, count: int, now: datetime) -> Iterator[PlannedOrder]:
    """``count`` orders, oldest first, for demo order indexes ``first_index`` onwards."""
    rng = random.Random(f"{SEED}/orders/{first_index}")
    weights = [s.weight for s in sites]
    for offset, placed_at in enumerate(placed_times(rng, count, now)):
        site = rng.choices(sites, weights)[0]
        yield _order(rng, first_index + offset, site, placed_at, now)


def _order(rng: random.Random, index: int, site: SiteOrders, placed_at: datetime, now: datetime) -> PlannedOrder:
    number = site.next_number()
    customer = rng.choice(site.customers)
    payment = _share(index, _STEP_PAYMENT)
    approval = _share(index, _STEP_APPROVAL)
    edoc = _share(index, _STEP_EDOC)
    several_addresses = _share(index, _STEP_ADDRESSES) < SEVERAL_ADDRESSES

    item_count = rng.choice((2, 2, 3, 3, 4)) if several_addresses else rng.choices((1, 2, 3, 4), (35, 30, 20, 15))[0]
    addresses = [customer.address]
    if several_addresses:
        while len(addresses) < min(item_count, rng.choice((2, 2, 3))):
            addresses.append(_branch_address(rng, customer.address.company, customer.address.country))
    methods = [_shipping_method(rng, a) for a in addresses]

    approvals = [Approval.APPROVED.value] * item_count
    if approval >= ALL_APPROVED + SOME_PENDING:
        approvals[rng.randrange(item_count)] = Approval.DENIED.value
    elif approval >= ALL_APPROVED:
        for position in rng.sample(range(item_count), rng.randint(1, item_count)):
            approvals[position] = Approval.PENDING.value
    edoc_state = None
    if edoc < EDOC_PENDING:
        edoc_state = EdocFileState.PENDING.value
    elif edoc < EDOC_PENDING + EDOC_READY:
        edoc_state = EdocFileState.READY.value

    if payment < PAID:
        payment_status, payment_method = PaymentStatus.PAID.value, _weighted(rng, PAID_METHODS)
    elif payment < PAID + UNPAID:
        payment_status, payment_method = PaymentStatus.UNPAID.value, _weighted(rng, UNPAID_METHODS)
    else:
        payment_status, payment_method = PaymentStatus.UNPAID.value, PaymentMethod.OPEN_TERMS.value
    paid = payment_status == PaymentStatus.PAID.value

    eligible = (
        (paid or payment_method == PaymentMethod.OPEN_TERMS.value)
        and all(a == Approval.APPROVED.value for a in approvals)
        and edoc_state != EdocFileState.PENDING.value
    )
    age = now - placed_at
    progress = "received"
    if eligible and age > timedelta(days=7) and rng.random() < 0.45:
        progress = "shipped"
    elif eligible and age > timedelta(days=2) and rng.random() < 0.25:
        progress = "in_production"

    items = []
    for position in range(item_count):
        address = addresses[position % len(addresses)]
        items.append(_item(rng, number, position + 1, site, address, methods[position % len(addresses)], approvals[position],
                           edoc_state if position == 0 else None, progress, placed_at, now))

    subtotal = sum(item.price_cents for item in items)
    shipping = sum(item.shipping_cents for item in items)
    place = _PLACES_BY_CITY.get(addresses[0].city)
    tax_bp = place.tax_bp if place else (0, 0, 0)
    vat_bp = place.vat_bp if place else 0
    taxes = [_percent_of(subtotal, bp) for bp in tax_bp]
    vat = _percent_of(subtotal, vat_bp)

    row = {
        "site_id": site.site_id,
        "site_user_id": customer.site_user_id,
        "number": number,
        "placed_at": placed_at,
        "po_number": _po_number(rng, placed_at, payment_method),
        "notes": rng.choice(catalog.ORDER_NOTES) if rng.random() < 0.2 else "",
        **address_columns("billing", customer.address),
        "payment_status": payment_status,
        "payment_method": payment_method,
        # Written with Core, past the ORM hook that keeps it (portal.models.storefront): the same rules.
        "held_back": not is_eligible(SimpleNamespace(
            payment_status=payment_status, payment_method=payment_method,
            items=[SimpleNamespace(**item.row) for item in items])),
        "payment_reference": _payment_reference(rng, payment_method) if payment_method else "",
        "paid_at": _paid_at(rng, placed_at, payment_method, now) if paid else None,
        "subtotal": cents(subtotal),
        "tax1": cents(taxes[0]),
        "tax2": cents(taxes[1]),
        "tax3": cents(taxes[2]),
        "vat": cents(vat),
        "shipping_cost": cents(shipping),
        "total": cents(subtotal + sum(taxes) + vat + shipping),
    }
    return PlannedOrder(row, [PlannedItem(item.row, item.shipments) for item in items])


@dataclass
class _Item:
    row: dict
    shipments: list[dict]
    price_cents: int
    shipping_cents: int


def _item(
    rng: random.Random,
    order_number_: str,
    number: int,
    site: SiteOrders,
    address: Address,
    method: ShippingMethod,
    approval: str,
    edoc_state: str | None,
    progress: str,
    placed_at: datetime,
    now: datetime,
) -> _Item:
    products = EDOC_PRODUCTS if edoc_state else catalog.PRODUCTS
    product = rng.choice(products)
    choices = [(group, rng.choice(options)) for group, options in product.options]
    quantity = rng.choice(product.quantities)
    price = _price_cents(product, [c for _, c in choices], quantity)
    shipping = rng.choice(method.charges_cents)

    status = ItemStatus.RECEIVED.value
    shipments: list[dict] = []
    if approval == Approval.DENIED.value:
        status = ItemStatus.ON_HOLD.value
    elif progress == "in_production":
        status = rng.choice((ItemStatus.PREPRESS.value, ItemStatus.IN_PRODUCTION.value, ItemStatus.IN_PRODUCTION.value))
    elif progress == "shipped":
        if method.carrier:
            status = ItemStatus.SHIPPED.value
            shipments = _shipments(rng, method, shipping, placed_at, now)
        else:
            status = ItemStatus.COMPLETED.value

    if approval == Approval.DENIED.value:
        notes = rng.choice(catalog.DENIAL_NOTES)
    else:
        notes = rng.choice(catalog.ITEM_NOTES) if rng.random() < 0.12 else ""

    if edoc_state == EdocFileState.PENDING.value:
        file_url = ""
    elif edoc_state == EdocFileState.READY.value:
        file_url = f"https://{site.file_host}/edoc/{order_number_}-{number}.pdf"
    else:
        file_url = f"https://{site.file_host}/uploads/{order_number_}/{number}-{product.part_prefix.lower()}-artwork.pdf"

    row = {
        "order_id": None,
        "number": number,
        "product_name": f"{product.name} (eDocBuilder)" if edoc_state else product.name,
        "part_number": "-".join([product.part_prefix] + [c.code for _, c in choices]),
        "options_text": "; ".join(f"{group}: {choice.label}" for group, choice in choices),
        "quantity": quantity,
        "price": cents(price),
        **address_columns("ship", address),
        "shipping_method": method.name,
        "shipping_cost": cents(shipping),
        "requested_delivery_date": (placed_at.date() + timedelta(days=rng.randint(5, 21)))
        if rng.random() < 0.7 else None,
        "file_url": file_url,
        "notes": notes,
        "approval": approval,
        "approval_changed_at": None if approval == Approval.PENDING.value
        else min(placed_at + timedelta(minutes=rng.randint(10, 30 * 60)), now),
        "is_edoc": edoc_state is not None,
        "edoc_file_state": edoc_state,
        "status": status,
    }
    return _Item(row, shipments, price, shipping)


EDOC_PRODUCTS = tuple(p for p in catalog.PRODUCTS if p.edoc_capable)

PAID_METHODS = ((PaymentMethod.CREDIT_CARD.value, 70), (PaymentMethod.BANK_TRANSFER.value, 15),
                (PaymentMethod.CHECK.value, 15))
UNPAID_METHODS = ((PaymentMethod.CHECK.value, 40), (PaymentMethod.BANK_TRANSFER.value, 25),
                  (PaymentMethod.CREDIT_CARD.value, 15), (None, 20))


def _weighted(rng: random.Random, pairs):
    return rng.choices([p[0] for p in pairs], [p[1] for p in pairs])[0]


def _price_cents(product: Product, choices, quantity: int) -> int:
    millicents = quantity * product.unit_millicents
    for choice in choices:
        millicents = millicents * choice.price_factor_pct // 100
    return product.setup_cents + (millicents + 500) // 1000


def _percent_of(amount_cents: int, basis_points: int) -> int:
    """Half-up rounding to the cent, in integers."""
    return (amount_cents * basis_points + 5000) // 10000


def _shipping_method(rng: random.Random, address: Address) -> ShippingMethod:
    methods = catalog.DOMESTIC_SHIPPING if address.country == "US" else catalog.INTERNATIONAL_SHIPPING
    return rng.choices(methods, [m.weight for m in methods])[0]


def _po_number(rng: random.Random, placed_at: datetime, payment_method: str | None) -> str:
    if rng.random() >= (0.9 if payment_method == PaymentMethod.OPEN_TERMS.value else 0.3):
        return ""
    if rng.random() < 0.5:
        return f"PO-{placed_at.year}-{rng.randint(100, 9999):04d}"
    return f"4500{rng.randint(0, 999999):06d}"


_REFERENCE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _code(rng: random.Random, length: int, alphabet: str = _REFERENCE_LETTERS) -> str:
    return "".join(rng.choices(alphabet, k=length))


def _payment_reference(rng: random.Random, method: str) -> str:
    if method == PaymentMethod.CREDIT_CARD.value:
        brand = rng.choice(("Visa", "Visa", "Mastercard", "Amex"))
        return f"{brand} ending {rng.randint(1000, 9999)}, auth {_code(rng, 6)}"
    if method == PaymentMethod.CHECK.value:
        return f"Check #{rng.randint(1001, 29999)}"
    if method == PaymentMethod.BANK_TRANSFER.value:
        return f"ACH {_code(rng, 10)}"
    return "Net 30"


def _paid_at(rng: random.Random, placed_at: datetime, method: str, now: datetime) -> datetime:
    if method == PaymentMethod.CREDIT_CARD.value:
        delay = timedelta(seconds=rng.randint(5, 90))
    elif method == PaymentMethod.CHECK.value:
        delay = timedelta(days=rng.randint(2, 10), hours=rng.randint(0, 8))
    else:
        delay = timedelta(days=rng.randint(1, 4), hours=rng.randint(0, 8))
    return min(placed_at + delay, now)


def _shipments(rng: random.Random, method: ShippingMethod, charged: int, placed_at: datetime, now: datetime) -> list[dict]:
    """One parcel, sometimes two, shipped a few days after the order and never after today."""
    ship_day = min(placed_at.date() + timedelta(days=rng.randint(2, 6)), now.date())
    parcels = 2 if rng.random() < 0.06 else 1
    costs = [charged // parcels] * parcels
    costs[0] += charged - sum(costs)
    shipped_at = min(datetime.combine(ship_day, time(22, 0), tzinfo=timezone.utc), now)
    return [
        {
            "item_id": None,
            "ship_date": ship_day,
            "method": method.name,
            "carrier": method.carrier,
            "tracking_number": _tracking_number(rng, method.carrier),
            "cost": cents(cost),
            "created_at": shipped_at,
        }
        for cost in costs
    ]


def _tracking_number(rng: random.Random, carrier: str) -> str:
    digits = "0123456789"
    if carrier == "UPS":
        return f"1Z{_code(rng, 6, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}03{_code(rng, 8, digits)}"
    if carrier == "FedEx":
        return _code(rng, 12, digits)
    return f"9400{_code(rng, 18, digits)}"

