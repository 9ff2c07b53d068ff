"""Our order and site user as PressWise ``add_purchase_order`` / ``create_user`` parameters.

Pure functions over anything with the attributes of ``portal.models.Order`` (and its
items) or ``SiteUser``: ORM rows in the portal, simple objects in tests. The element
order and every value follow the table of ``add_purchase_order`` in the contract.
"""

from __future__ import annotations


from portal.domain.addresses import ship_to_one_address
from portal.domain.orders import money as cents
from portal.domain.orders import tax_total
from portal.partners.presswise import ours
from portal.partners.presswise.soap import Fields

INITIAL_STATUSES = {"New": "AUTO New"}


def money(value) -> str:
    """Two decimals and a dot, no currency sign: ``1234.50``; an empty value is ``0.00``."""
    return f"{cents(value if value not in (None, '') else 0):.2f}"


def text(value) -> str:
    return "" if value is None else str(value)


def full_name(first: str, last: str) -> str:
    return " ".join(part for part in (text(first).strip(), text(last).strip()) if part)


def _payment_terms(order) -> str:
    if text(getattr(order, "payment_status", "")) == "paid":
        return ours.TERMS_PREPAID
    if text(getattr(order, "payment_method", "")) == "open_terms":
        return ours.TERMS_OPEN
    return ""


def _customer_po(order) -> str:
    return text(order.po_number)


def pricing_summary(order, items) -> str:
    lines = ["Pricing:"]
    for item in items:
        lines.append(f"Item {item.number}: {text(item.product_name)}, quantity {item.quantity}, price {money(item.price)}")
    lines += [
        f"Subtotal: {money(order.subtotal)}",
        f"Tax: {money(tax_total(order))}",
        f"Shipping: {money(order.shipping_cost)}",
        f"Total: {money(order.total)}",
    ]
    return "\n".join(lines)


def comments(order, items, *, send_pricing: bool) -> str:
    notes = text(order.notes)
    if not send_pricing:
        return notes
    summary = pricing_summary(order, items)
    return f"{notes}\n\n{summary}" if notes.strip() else summary


def product_description(item) -> str:
    name, options = text(item.product_name), text(item.options_text).strip()
    return f"{name} - {options}" if options else name


def ship_to(item) -> Fields:
    address = item.shipping_address
    return [
        ("stFirst", text(address.first_name)),
        ("stLast", text(address.last_name)),
        ("stNameCompany", text(address.company)),
        ("stAttention", full_name(address.first_name, address.last_name)),
        ("stStreet", text(address.line1)),
        ("stAddress2", text(address.line2)),
        ("stAddress3", text(address.line3)),
        ("stCity", text(address.city)),
        ("stState", text(address.state)),
        ("stZip", text(address.postal_code)),
        ("stCountry", text(address.country)),
        ("stTelephone", text(address.phone)),
        ("avsResidential", "N"),
        # The block stands for the one address every item shares; the contract names
        # "the item" shipping cost and method, so they come from the first item.
        ("shipCost", money(item.shipping_cost)),
        ("shipMethod", text(item.shipping_method)),
    ]


def order_item(item) -> Fields:
    return [
        ("sourceJobID", text(item.number)),
        ("productID", text(item.part_number)),
        ("productDesc", product_description(item)),
        ("quantity", str(int(item.quantity or 0))),
        ("price", money(item.price)),
        ("fileF", text(item.file_url)),
        ("customerApproval", "accepted"),
        ("note", text(item.notes)),
    ]


def purchase_order_data(
    order,
    *,
    customer_id: str,
    user_id: str | None = None,
    initial_status: str = "New",
    send_pricing_in_notes: bool = False,
) -> Fields:
    """The ``data`` parameter of ``add_purchase_order`` for ``order``, every element in contract order."""
    items = list(order.items)
    first = items[0] if items else None
    billing = order.billing_address
    due = getattr(first, "requested_delivery_date", None) if first else None
    data: Fields = [
        ("customerID", text(customer_id)),
        (ours.USER_ID_ELEMENT, text(user_id)),
        ("customerPO", _customer_po(order)),
        ("sourceOrderID", text(order.number)),
        ("btFirst", text(billing.first_name)),
        ("btLast", text(billing.last_name)),
        ("btNameCompany", text(billing.company)),
        ("btAttention", full_name(billing.first_name, billing.last_name)),
        ("btStreet", text(billing.line1)),
        ("btAddress2", text(billing.line2)),
        ("btAddress3", text(billing.line3)),
        ("btCity", text(billing.city)),
        ("btState", text(billing.state)),
        ("btZip", text(billing.postal_code)),
        ("btCountry", text(billing.country)),
        ("btTelephone", text(billing.phone)),
        ("btEmail", text(billing.email)),
        ("initial_status", INITIAL_STATUSES[initial_status]),
        ("btTerms", _payment_terms(order)),
        ("shipCostFlag", "fixed"),
        ("dueDate", due.isoformat() if due else ""),
        ("salesDate", "auto"),
        ("isReprint", "N"),
        ("subTotal", money(order.subtotal)),
        ("taxCost", money(tax_total(order))),
        ("shipCost", money(order.shipping_cost)),
        ("totalCost", money(order.total)),
        ("shipMethod", text(first.shipping_method) if first else ""),
        ("comments", comments(order, items, send_pricing=send_pricing_in_notes)),
    ]
    if first is not None and ship_to_one_address(items):
        data.append(("shipTo", ship_to(first)))
    data.extend(("item", order_item(item)) for item in items)
    return data


def create_user_request(site_user, *, customer_id: str, login_password: str) -> Fields:
    """The ``request`` parameter of ``create_user``: the site user's e-mail is the login."""
    address = site_user.address
    email = text(site_user.email)
    return [
        ("customerID", text(customer_id)),
        (
            "user",
            [
                ("loginID", email),
                ("loginPass", login_password),
                ("contactName", full_name(address.first_name, address.last_name)),
                ("companyName", text(address.company)),
                ("contactEmail", text(address.email) or email),
                ("contactTelePhone", text(address.phone)),
                ("contactAddress1", text(address.line1)),
                ("contactAddress2", text(address.line2)),
                ("contactCity", text(address.city)),
                ("contactState", text(address.state)),
                ("contactZip", text(address.postal_code)),
                ("contactCountry", text(address.country)),
                ("AllowOrder", "Y"),
            ],
        ),
    ]
