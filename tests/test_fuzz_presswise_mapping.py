"""Fuzzing the way out: any text in any field of an order, a site user or a lookup becomes a
well-formed SOAP envelope that parses back to the same values (property tests).

What the client does with what XML 1.0 cannot carry (C0 controls other than tab, line feed
and carriage return; lone surrogates; U+FFFE and U+FFFF): it **drops those characters, and
only those, from every value it sends** (names, notes, addresses, IDs and the credentials
alike), and sends the rest. It never refuses an order for them: a stray control character
pasted into a storefront address must not keep the order from PressWise. So each value
below is expected back as ``XML_CHARACTERS``-filtered, with that filter written here from
the XML 1.0 ``Char`` production, not taken from the client. A carriage return comes back as
a carriage return (the client writes ``&#13;``; a raw one would be read as a line feed).

The expected values are written from the contract's table (docs/presswise-contract.md),
not from ``mapping.py``: the element order, the composed values (``btAttention``,
``productDesc``, ``comments`` with the pricing summary, ``shipTo`` only when every item
ships to one address), money with two decimals and a dot. The envelopes are those the
client really sends (``PressWiseClient`` with its transport replaced), credentials included.

Example counts: see ``tests/fuzzing.py`` (``HYPOTHESIS_PROFILE=soak`` for a long run).
"""

from __future__ import annotations

import re
import string
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import defusedxml.ElementTree as safe_xml
from hypothesis import given
from hypothesis import strategies as st

from portal.domain.addresses import Address
from portal.partners.base import AccountSettings
from portal.partners.presswise import PressWiseClient
from portal.partners.presswise.soap import build_envelope
from tests.fixtures.presswise import sample_item, sample_order
from tests.fuzzing import fuzz_settings


def xml_character(character: str) -> bool:
    """XML 1.0, production [2] Char."""
    code = ord(character)
    return (code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF)


def sent(value: str) -> str:
    """What PressWise reads for ``value``: the characters XML can carry, in order."""
    return "".join(character for character in value if xml_character(character))


# Every code point, surrogates and non-characters included, or the characters that matter most.
any_text = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=16),
    st.text(st.sampled_from("\x00\x01\x08\x0b\x0c\x0e\x1f\x7f\r\n\t &<>\"']]>\ud800\udfff\ufffe\uffff\u2028é€😀 "),
            max_size=16),
)
# Notes may be long: a few kilobytes of anything, or short like the rest.
long_text = any_text | st.text(st.characters(exclude_categories=()), min_size=200, max_size=2000)
money = st.decimals(min_value=Decimal("-9999999999.99"), max_value=Decimal("9999999999.99"),
                    allow_nan=False, allow_infinity=False)
addresses = st.builds(Address, **{name: any_text for name in (
    "first_name", "last_name", "company", "line1", "line2", "line3", "city", "state", "postal_code", "country",
    "phone", "email")})


@st.composite
def items(draw):
    count = draw(st.integers(min_value=0, max_value=3))
    shared = draw(addresses)
    result = []
    for number in range(1, count + 1):
        result.append(sample_item(
            number=draw(st.integers(min_value=1, max_value=2**31 - 1)) if draw(st.booleans()) else number,
            product_name=draw(any_text), part_number=draw(any_text), options_text=draw(any_text),
            quantity=draw(st.integers(min_value=0, max_value=2**31 - 1)), price=draw(money),
            shipping_address=shared if draw(st.booleans()) else draw(addresses),
            shipping_method=draw(any_text), shipping_cost=draw(money),
            requested_delivery_date=draw(st.none() | st.dates(min_value=date(1, 1, 1))),
            file_url=draw(any_text), notes=draw(long_text),
        ))
    return result


@st.composite
def orders(draw):
    return sample_order(
        draw(items()), number=draw(any_text), po_number=draw(any_text), notes=draw(long_text),
        billing_address=draw(addresses),
        payment_status=draw(st.sampled_from(["paid", "unpaid"])),
        payment_method=draw(st.sampled_from(["credit_card", "open_terms", "check", ""])),
        subtotal=draw(money), tax1=draw(money), tax2=draw(money), tax3=draw(money), vat=draw(money),
        shipping_cost=draw(money), total=draw(money),
    )


accounts = st.builds(AccountSettings, url=st.just("https://presswise.example/r/wsdl-order2.php"),
                     username=any_text, password=any_text, authorization_code=any_text,
                     send_pricing_in_notes=st.booleans())


class CapturingClient(PressWiseClient):
    """The real client with its transport replaced: keeps each request body, answers ``result``."""

    def __init__(self, account: AccountSettings, result: dict):
        super().__init__(account)
        self.bodies: list[bytes] = []
        self.result = result

    def send(self, operation: str, body: bytes) -> dict:
        self.bodies.append(body)
        return self.result


def parsed(body: bytes, operation: str):
    """The operation element of a request body, read by a strict parser (well-formed or it raises)."""
    assert body.decode("utf-8").encode("utf-8") == body
    root = safe_xml.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    [operation_element] = root.find("{http://schemas.xmlsoap.org/soap/envelope/}Body")
    assert operation_element.tag == operation
    return operation_element


def as_fields(element) -> list:
    """An element's children as (name, text or children) pairs, in document order."""
    return [(child.tag, as_fields(child) if len(child) else (child.text or "")) for child in element]


def two_decimals(value) -> str:
    return format(Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), "f")


def full_name(first: str, last: str) -> str:
    return " ".join(part for part in (first.strip(), last.strip()) if part)


def expected_auth(account: AccountSettings) -> list:
    return [("user", sent(account.username)), ("pass", sent(account.password)),
            ("code", sent(account.authorization_code))]


def expected_data(order, account: AccountSettings, customer_id: str, user_id: str | None) -> list:
    """The contract's table of add_purchase_order's ``data``, value by value."""
    items_, billing = order.items, order.billing_address
    first = items_[0] if items_ else None
    tax = sum((order.tax1, order.tax2, order.tax3, order.vat), Decimal(0))
    notes = order.notes
    if account.send_pricing_in_notes:
        summary = "\n".join(
            ["Pricing:"]
            + [f"Item {item.number}: {item.product_name}, quantity {item.quantity}, price {two_decimals(item.price)}"
               for item in items_]
            + [f"Subtotal: {two_decimals(order.subtotal)}", f"Tax: {two_decimals(tax)}",
               f"Shipping: {two_decimals(order.shipping_cost)}", f"Total: {two_decimals(order.total)}"])
        notes = f"{notes}\n\n{summary}" if notes.strip() else summary
    terms = ("Prepaid" if order.payment_status == "paid"
             else "Open Terms" if order.payment_method == "open_terms" else "")
    data = [
        ("customerID", customer_id), ("userID", user_id or ""), ("customerPO", order.po_number),
        ("sourceOrderID", order.number), ("btFirst", billing.first_name), ("btLast", billing.last_name),
        ("btNameCompany", billing.company), ("btAttention", full_name(billing.first_name, billing.last_name)),
        ("btStreet", billing.line1), ("btAddress2", billing.line2), ("btAddress3", billing.line3),
        ("btCity", billing.city), ("btState", billing.state), ("btZip", billing.postal_code),
        ("btCountry", billing.country), ("btTelephone", billing.phone), ("btEmail", billing.email),
        ("initial_status", "AUTO New"), ("btTerms", terms), ("shipCostFlag", "fixed"),
        ("dueDate", first.requested_delivery_date.isoformat() if first and first.requested_delivery_date else ""),
        ("salesDate", "auto"), ("isReprint", "N"), ("subTotal", two_decimals(order.subtotal)),
        ("taxCost", two_decimals(tax)), ("shipCost", two_decimals(order.shipping_cost)),
        ("totalCost", two_decimals(order.total)), ("shipMethod", first.shipping_method if first else ""),
        ("comments", notes),
    ]
    one_address = len({tuple(getattr(item.shipping_address, name).strip().casefold() for name in (
        "first_name", "last_name", "company", "line1", "line2", "line3", "city", "state", "postal_code", "country",
        "phone", "email")) for item in items_}) == 1
    if one_address:
        to = first.shipping_address
        data.append(("shipTo", [
            ("stFirst", to.first_name), ("stLast", to.last_name), ("stNameCompany", to.company),
            ("stAttention", full_name(to.first_name, to.last_name)), ("stStreet", to.line1),
            ("stAddress2", to.line2), ("stAddress3", to.line3), ("stCity", to.city), ("stState", to.state),
            ("stZip", to.postal_code), ("stCountry", to.country), ("stTelephone", to.phone),
            ("avsResidential", "N"), ("shipCost", two_decimals(first.shipping_cost)),
            ("shipMethod", first.shipping_method)]))
    for item in items_:
        options = item.options_text.strip()
        data.append(("item", [
            ("sourceJobID", str(item.number)), ("productID", item.part_number),
            ("productDesc", f"{item.product_name} - {options}" if options else item.product_name),
            ("quantity", str(item.quantity)), ("price", two_decimals(item.price)), ("fileF", item.file_url),
            ("customerApproval", "accepted"), ("note", item.notes)]))
    return data


def as_sent(fields: list) -> list:
    """``fields`` as PressWise reads them: text filtered, an element without children read as text."""
    return [(name, sent(value) if isinstance(value, str) else (as_sent(value) if value else ""))
            for name, value in fields]


PUSHED = {"status": {"code": "0", "text": "OK"}, "orderID": "10528", "jobs": ""}


@fuzz_settings(150)
@given(order=orders(), account=accounts, customer_id=any_text, user_id=st.none() | any_text)
def test_an_order_reaches_the_envelope_field_for_field(order, account, customer_id, user_id):
    client = CapturingClient(account, PUSHED)
    client.push_order(order, customer_id=customer_id, user_id=user_id)

    [body] = client.bodies
    operation = parsed(body, "add_purchase_order")
    assert [element.tag for element in operation] == ["auth", "data"]
    assert as_fields(operation) == as_sent([("auth", expected_auth(account)),
                                            ("data", expected_data(order, account, customer_id, user_id))])
    for element in operation.iter():
        if element.tag in ("subTotal", "taxCost", "shipCost", "totalCost", "price"):
            assert re.fullmatch(r"-?[0-9]+\.[0-9]{2}", element.text), (element.tag, element.text)


@fuzz_settings(60)
@given(email=any_text, address=addresses, account=accounts, customer_id=any_text)
def test_a_site_user_reaches_create_user_field_for_field(email, address, account, customer_id):
    from types import SimpleNamespace

    client = CapturingClient(account, {"status": {"code": "0", "text": "OK"}, "userID": "77"})
    assert client.create_user(SimpleNamespace(email=email, address=address), customer_id=customer_id).partner_user_id == "77"

    [body] = client.bodies
    fields = as_fields(parsed(body, "create_user"))
    login_password = dict(dict(dict(fields)["request"])["user"])["loginPass"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{24}", login_password), "a fresh random password, URL-safe"
    assert fields == as_sent([("auth", expected_auth(account)), ("request", [
        ("customerID", customer_id),
        ("user", [("loginID", email), ("loginPass", login_password),
                  ("contactName", full_name(address.first_name, address.last_name)),
                  ("companyName", address.company), ("contactEmail", address.email or email),
                  ("contactTelePhone", address.phone), ("contactAddress1", address.line1),
                  ("contactAddress2", address.line2), ("contactCity", address.city), ("contactState", address.state),
                  ("contactZip", address.postal_code), ("contactCountry", address.country), ("AllowOrder", "Y")]),
    ])])


@fuzz_settings(60)
@given(number=any_text, customer_id=st.none() | any_text, partner_order_id=any_text, account=accounts)
def test_lookups_carry_any_order_number(number, customer_id, partner_order_id, account):
    client = CapturingClient(account, {"status": {"code": "0", "text": "OK"}, "orders": "",
                                       "order": {"orderID": "5", "status": "New"}})
    assert client.find_orders(number, customer_id=customer_id) == []
    client.get_order_status(partner_order_id)

    find, status = client.bodies
    looked_up = [("sourceOrderID", number)] + ([("customerID", customer_id)] if customer_id else [])
    assert as_fields(parsed(find, "find_orders")) == as_sent([("auth", expected_auth(account)), ("data", looked_up)])
    assert as_fields(parsed(status, "get_order_status")) == as_sent(
        [("auth", expected_auth(account)), ("data", [("orderID", partner_order_id)])])


names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,12}", fullmatch=True).filter(lambda n: not n.lower().startswith("xml"))
field_trees = st.recursive(
    st.lists(st.tuples(names, any_text), max_size=4),
    lambda children: st.lists(st.tuples(names, any_text | children), max_size=4),
    max_leaves=20,
)


@fuzz_settings(150)
@given(operation=names, fields=field_trees)
def test_any_tree_of_fields_is_well_formed_and_reads_back(operation, fields):
    assert as_fields(parsed(build_envelope(operation, fields), operation)) == as_sent(fields)


@fuzz_settings(200)
@given(text=st.text(st.characters(exclude_categories=()), max_size=60))
def test_only_what_xml_cannot_carry_is_dropped(text):
    [(_, back)] = as_fields(parsed(build_envelope("op", [("v", text)]), "op"))
    assert back == sent(text)
    assert len(back) == len(text) - sum(not xml_character(c) for c in text)


def test_the_filter_here_is_the_xml_char_production():
    allowed = {c for c in map(chr, range(0x20)) if xml_character(c)}
    assert allowed == {"\t", "\n", "\r"}
    assert not any(map(xml_character, ["\ud800", "\udfff", "\ufffe", "\uffff"]))
    assert all(map(xml_character, [" ", "\ud7ff", "\ue000", "\ufffd", "\U00010000", "\U0010ffff"]))
    assert all(map(xml_character, string.printable.replace("\x0b", "").replace("\x0c", "")))
