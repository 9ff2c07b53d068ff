"""Our order as PressWise's add_purchase_order: the exact XML, element by element (golden tests)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import defusedxml.ElementTree as safe_xml

from portal.partners.presswise.mapping import create_user_request, money, purchase_order_data
from portal.partners.presswise.soap import build_envelope
from tests import factories
from tests.fixtures.presswise import sample_address, sample_item, sample_order

AUTH = [("user", "demo"), ("pass", "demo-secret"), ("code", "DEMO-AUTH")]
HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body>'
    "<add_purchase_order>"
    "<auth><user>demo</user><pass>demo-secret</pass><code>DEMO-AUTH</code></auth>"
)
TAIL = "</add_purchase_order></SOAP-ENV:Body></SOAP-ENV:Envelope>"


def envelope(order, **options) -> str:
    return build_envelope("add_purchase_order", [("auth", AUTH), ("data", purchase_order_data(order, **options))]).decode()


def test_single_address_order_is_sent_with_a_ship_to_block_and_every_element_in_contract_order():
    billing = sample_address(first_name="Zoë", last_name="O'Brien & <Sons> \"Ltd\"", company="Ünïcødé & Co",
                             phone="")
    order = sample_order(number="SO-1001", billing_address=billing, notes='Deliver to the "back" door < 5pm & ring')

    expected = HEAD + (
        "<data>"
        "<customerID>42</customerID>"
        "<userID></userID>"
        "<customerPO>PO-77</customerPO>"
        "<sourceOrderID>SO-1001</sourceOrderID>"
        "<btFirst>Zoë</btFirst>"
        "<btLast>O'Brien &amp; &lt;Sons&gt; \"Ltd\"</btLast>"
        "<btNameCompany>Ünïcødé &amp; Co</btNameCompany>"
        "<btAttention>Zoë O'Brien &amp; &lt;Sons&gt; \"Ltd\"</btAttention>"
        "<btStreet>12 St James's Square</btStreet>"
        "<btAddress2></btAddress2>"
        "<btAddress3></btAddress3>"
        "<btCity>London</btCity>"
        "<btState></btState>"
        "<btZip>SW1Y 4JH</btZip>"
        "<btCountry>GB</btCountry>"
        "<btTelephone></btTelephone>"
        "<btEmail>ada@example.com</btEmail>"
        "<initial_status>AUTO New</initial_status>"
        "<btTerms>Prepaid</btTerms>"
        "<shipCostFlag>fixed</shipCostFlag>"
        "<dueDate>2026-11-20</dueDate>"
        "<salesDate>auto</salesDate>"
        "<isReprint>N</isReprint>"
        "<subTotal>49.50</subTotal>"
        "<taxCost>3.96</taxCost>"
        "<shipCost>8.00</shipCost>"
        "<totalCost>61.46</totalCost>"
        "<shipMethod>UPS Ground</shipMethod>"
        "<comments>Deliver to the \"back\" door &lt; 5pm &amp; ring</comments>"
        "<shipTo>"
        "<stFirst>Ada</stFirst>"
        "<stLast>Lovelace</stLast>"
        "<stNameCompany>Analytical Engines Ltd</stNameCompany>"
        "<stAttention>Ada Lovelace</stAttention>"
        "<stStreet>12 St James's Square</stStreet>"
        "<stAddress2></stAddress2>"
        "<stAddress3></stAddress3>"
        "<stCity>London</stCity>"
        "<stState></stState>"
        "<stZip>SW1Y 4JH</stZip>"
        "<stCountry>GB</stCountry>"
        "<stTelephone>+44 20 7946 0000</stTelephone>"
        "<avsResidential>N</avsResidential>"
        "<shipCost>8.00</shipCost>"
        "<shipMethod>UPS Ground</shipMethod>"
        "</shipTo>"
        "<item>"
        "<sourceJobID>1</sourceJobID>"
        "<productID>BC-001</productID>"
        "<productDesc>Business cards - Paper: 16pt matte; Sides: 2</productDesc>"
        "<quantity>500</quantity>"
        "<price>49.50</price>"
        "<fileF>https://files.example.com/1.pdf</fileF>"
        "<customerApproval>accepted</customerApproval>"
        "<note></note>"
        "</item>"
        "</data>"
    ) + TAIL

    built = envelope(order, customer_id="42")

    assert built == expected
    data = safe_xml.fromstring(built.encode())[0][0].find("data")
    assert data.findtext("btLast") == "O'Brien & <Sons> \"Ltd\""
    assert data.findtext("btNameCompany") == "Ünïcødé & Co"


def test_multi_address_order_has_no_ship_to_open_terms_and_pricing_in_the_comments():
    home = sample_address(first_name="Mårten", last_name="Nilsson", company="", line1="Storgatan 1",
                          city="Malmö", postal_code="211 34", country="SE", phone="", email="m@example.se")
    items = [
        sample_item(1, product_name="Flyers <A5>", options_text="", quantity=1000, price=Decimal("1234.5"),
                    shipping_cost=Decimal("12"), file_url="", notes="Proof first & call"),
        sample_item(2, product_name="Poster", part_number="", options_text="Size: A1", quantity=3,
                    price=Decimal("19.999"), shipping_address=home, shipping_method="DHL",
                    shipping_cost=Decimal("0"), requested_delivery_date=None, notes="Roll, don't fold"),
    ]
    order = sample_order(
        items, number="SO-2002", po_number="", notes="", payment_status="unpaid", payment_method="open_terms",
        subtotal=Decimal("1254.50"), tax1=Decimal("50.18"), tax2=Decimal("1.2"), vat=Decimal("10"),
        shipping_cost=Decimal("12"), total=Decimal("1327.88"),
    )

    expected = HEAD + (
        "<data>"
        "<customerID>7</customerID>"
        "<userID>5001</userID>"
        "<customerPO></customerPO>"
        "<sourceOrderID>SO-2002</sourceOrderID>"
        "<btFirst>Ada</btFirst>"
        "<btLast>Lovelace</btLast>"
        "<btNameCompany>Analytical Engines Ltd</btNameCompany>"
        "<btAttention>Ada Lovelace</btAttention>"
        "<btStreet>12 St James's Square</btStreet>"
        "<btAddress2></btAddress2>"
        "<btAddress3></btAddress3>"
        "<btCity>London</btCity>"
        "<btState></btState>"
        "<btZip>SW1Y 4JH</btZip>"
        "<btCountry>GB</btCountry>"
        "<btTelephone>+44 20 7946 0000</btTelephone>"
        "<btEmail>ada@example.com</btEmail>"
        "<initial_status>AUTO New</initial_status>"
        "<btTerms>Open Terms</btTerms>"
        "<shipCostFlag>fixed</shipCostFlag>"
        "<dueDate>2026-11-20</dueDate>"
        "<salesDate>auto</salesDate>"
        "<isReprint>N</isReprint>"
        "<subTotal>1254.50</subTotal>"
        "<taxCost>61.38</taxCost>"
        "<shipCost>12.00</shipCost>"
        "<totalCost>1327.88</totalCost>"
        "<shipMethod>UPS Ground</shipMethod>"
        "<comments>Pricing:\n"
        "Item 1: Flyers &lt;A5&gt;, quantity 1000, price 1234.50\n"
        "Item 2: Poster, quantity 3, price 20.00\n"
        "Subtotal: 1254.50\n"
        "Tax: 61.38\n"
        "Shipping: 12.00\n"
        "Total: 1327.88</comments>"
        "<item>"
        "<sourceJobID>1</sourceJobID>"
        "<productID>BC-001</productID>"
        "<productDesc>Flyers &lt;A5&gt;</productDesc>"
        "<quantity>1000</quantity>"
        "<price>1234.50</price>"
        "<fileF></fileF>"
        "<customerApproval>accepted</customerApproval>"
        "<note>Proof first &amp; call</note>"
        "</item>"
        "<item>"
        "<sourceJobID>2</sourceJobID>"
        "<productID></productID>"
        "<productDesc>Poster - Size: A1</productDesc>"
        "<quantity>3</quantity>"
        "<price>20.00</price>"
        "<fileF>https://files.example.com/2.pdf</fileF>"
        "<customerApproval>accepted</customerApproval>"
        "<note>Roll, don't fold</note>"
        "</item>"
        "</data>"
    ) + TAIL

    assert envelope(order, customer_id="7", user_id="5001", send_pricing_in_notes=True) == expected


def test_pricing_summary_follows_the_order_notes_after_a_blank_line():
    order = sample_order(notes="Rush job")
    data = dict(purchase_order_data(order, customer_id="1", send_pricing_in_notes=True))
    assert data["comments"].startswith("Rush job\n\nPricing:\nItem 1: Business cards, quantity 500, price 49.50\n")
    assert data["comments"].endswith("Total: 61.46")


def test_paid_order_on_open_terms_is_prepaid_and_an_unpaid_card_order_has_no_terms():
    paid_on_terms = sample_order(payment_status="paid", payment_method="open_terms")
    unpaid = sample_order(payment_status="unpaid", payment_method="credit_card")
    assert dict(purchase_order_data(paid_on_terms, customer_id="1"))["btTerms"] == "Prepaid"
    assert dict(purchase_order_data(unpaid, customer_id="1"))["btTerms"] == ""


def test_ship_to_is_sent_when_addresses_differ_only_in_case_and_spaces():
    items = [sample_item(1), sample_item(2, shipping_address=sample_address(city=" LONDON "))]
    order = sample_order(items)
    names = [name for name, _ in purchase_order_data(order, customer_id="1")]
    assert names.count("shipTo") == 1 and names.count("item") == 2
    assert names.index("shipTo") < names.index("item")


def test_money_has_two_decimals_a_dot_and_rounds_half_up():
    assert [money(v) for v in (Decimal("1234.5"), Decimal("0"), 3, Decimal("2.345"), None)] == [
        "1234.50", "0.00", "3.00", "2.35", "0.00"]


def test_orm_rows_map_like_plain_objects(app):
    user = factories.site_user(address=factories.address(first_name="José", last_name="Núñez"))
    order = factories.order(user=user, items=[{}, {"shipping_address": factories.address(city="Leeds")}], paid=True,
                            notes="Note")
    data = purchase_order_data(order, customer_id="9")
    fields = dict(data)
    assert fields["sourceOrderID"] == order.number
    assert fields["btAttention"] == "José Núñez"
    assert fields["totalCost"] == f"{order.total:.2f}"
    assert "shipTo" not in fields
    items = [value for name, value in data if name == "item"]
    assert [dict(i)["sourceJobID"] for i in items] == ["1", "2"]
    assert dict(items[0])["quantity"] == "500"
    assert fields["dueDate"] == order.items[0].requested_delivery_date.isoformat()


def test_create_user_request_uses_the_email_as_login_and_allows_ordering():
    user = type("SiteUser", (), {"email": "buyer@example.com", "address": sample_address(company="Acme & Sons")})()
    request = create_user_request(user, customer_id="42", login_password="pw")
    assert request[0] == ("customerID", "42")
    fields = dict(request[1][1])
    assert list(fields) == [
        "loginID", "loginPass", "contactName", "companyName", "contactEmail", "contactTelePhone", "contactAddress1",
        "contactAddress2", "contactCity", "contactState", "contactZip", "contactCountry", "AllowOrder"]
    assert fields["loginID"] == "buyer@example.com"
    assert fields["contactName"] == "Ada Lovelace"
    assert fields["companyName"] == "Acme & Sons"
    assert fields["AllowOrder"] == "Y"


def test_due_date_is_empty_when_the_first_item_has_none():
    order = sample_order([sample_item(1, requested_delivery_date=None), sample_item(2, requested_delivery_date=date(2027, 1, 2))])
    assert dict(purchase_order_data(order, customer_id="1"))["dueDate"] == ""
