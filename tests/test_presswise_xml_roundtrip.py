"""Any Unicode text in names and notes reaches PressWise as the same text (property tests).

XML 1.0 cannot carry some characters at all (most C0 controls, lone surrogates, U+FFFE,
U+FFFF); the client drops those and nothing else. A carriage return survives, written
as ``&#13;`` since a raw one would be read back as a line feed.
"""

from __future__ import annotations

import json

import defusedxml.ElementTree as safe_xml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.partners.presswise.mapping import purchase_order_data
from portal.partners.presswise.soap import build_envelope, xml_safe
from presswise_emulator.soap import parse_request
from tests.fixtures.presswise import sample_address, sample_item, sample_order

any_text = st.text(st.characters(exclude_categories=()), max_size=40)  # every code point, surrogates too
FIELDS = ("btFirst", "btLast", "btNameCompany", "comments")


def order_with(first, last, company, notes, item_note):
    billing = sample_address(first_name=first, last_name=last, company=company)
    return sample_order([sample_item(1, notes=item_note, product_name=f"Cards {last}")], billing_address=billing,
                        notes=notes)


def expected_values(first, last, company, notes):
    return {"btFirst": xml_safe(first), "btLast": xml_safe(last), "btNameCompany": xml_safe(company),
            "comments": xml_safe(notes)}


@settings(max_examples=300, deadline=None)
@given(first=any_text, last=any_text, company=any_text, notes=any_text, item_note=any_text)
def test_built_xml_parses_back_to_the_same_values(first, last, company, notes, item_note):
    order = order_with(first, last, company, notes, item_note)
    body = build_envelope("add_purchase_order", [("data", purchase_order_data(order, customer_id="1"))])

    data = safe_xml.fromstring(body)[0][0].find("data")
    assert {name: data.findtext(name) for name in FIELDS} == expected_values(first, last, company, notes)
    assert data.find("item").findtext("note") == xml_safe(item_note)

    operation, params = parse_request(body)  # the emulator's own reader agrees
    assert operation == "add_purchase_order"
    assert {name: params["data"][name] for name in FIELDS} == expected_values(first, last, company, notes)
    assert params["data"]["item"]["note"] == xml_safe(item_note)


def test_only_characters_xml_cannot_carry_are_dropped():
    assert xml_safe("a\x00b\x1fc\td\ne\rf\ud800g\ufffeh\U0001f600") == "ab" + "c\td\ne\rfg" + "h\U0001f600"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(last=any_text, notes=any_text)
def test_text_survives_the_trip_to_the_emulator_over_http(presswise_emulator, last, notes):
    presswise_emulator.reset()
    order = order_with("Ann", last, "Co", notes, notes)
    presswise_emulator.client().push_order(order, customer_id="1")
    stored = json.loads(presswise_emulator.orders()[0]["order"]["data"])
    assert stored["btLast"] == xml_safe(last)
    assert stored["comments"] == xml_safe(notes)
    assert stored["item"]["note"] == xml_safe(notes)
