"""Answers a hostile or broken server could send are refused with the client's own error type."""

from __future__ import annotations

import time

import pytest

from portal.partners.base import PartnerProtocolError
from portal.partners.presswise import PressWiseClient
from tests.fixtures.presswise import FAST_TIMEOUTS, sample_order

ENVELOPE = (
    '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body>'
    "<{op}Response><result>{result}</result></{op}Response></SOAP-ENV:Body></SOAP-ENV:Envelope>"
)
OK = "<status><code>0</code><text>OK</text></status>"

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    + ENVELOPE.format(op="add_purchase_order", result=OK + "<orderID>&lol3;</orderID>")
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
    + ENVELOPE.format(op="add_purchase_order", result=OK + "<orderID>&secret;</orderID>")
)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(BILLION_LAUGHS, id="dtd-entity-expansion"),
        pytest.param(EXTERNAL_ENTITY, id="external-entity"),
        pytest.param(ENVELOPE.format(op="add_purchase_order", result=OK + "<orderID>10528abc</orderID>"),
                     id="non-numeric-orderID"),
        pytest.param(ENVELOPE.format(op="add_purchase_order", result=OK + "<orderID>١٢٣</orderID>"),
                     id="non-ascii-digits-orderID"),
        pytest.param(ENVELOPE.format(op="add_purchase_order", result=OK), id="missing-orderID"),
        pytest.param(ENVELOPE.format(op="add_purchase_order", result="<orderID>10528</orderID>"), id="missing-status"),
        pytest.param(ENVELOPE.format(op="add_purchase_order", result="<status><text>OK</text></status><orderID>1</orderID>"),
                     id="status-without-code"),
        pytest.param(ENVELOPE.format(op="add_purchase_order", result="<status><code>zero</code></status>"),
                     id="non-numeric-code"),
        pytest.param(ENVELOPE.format(op="find_orders", result=OK + "<orderID>1</orderID>"), id="wrong-operation"),
        pytest.param(OK, id="not-an-envelope"),
        pytest.param("", id="empty-body"),
        pytest.param(ENVELOPE.format(op="add_purchase_order", result=OK + "<orderID>1</orderID><jobs><job><jobID>x</jobID>"
                                     "<sourceJobID>1</sourceJobID></job></jobs>"), id="non-numeric-jobID"),
    ],
)
def test_hostile_push_answer_is_a_protocol_error(presswise, body):
    presswise.inject_fault("respond", body=body, operation="add_purchase_order")
    with pytest.raises(PartnerProtocolError):
        presswise.client().push_order(sample_order(), customer_id="42")


@pytest.mark.parametrize(
    "result",
    [
        pytest.param(OK + "<order><orderID>1</orderID><lastModified/></order>", id="order-without-status"),
        pytest.param(OK + "<order><orderID>x1</orderID><status>New</status></order>", id="non-numeric-orderID"),
        pytest.param(OK, id="no-order"),
        pytest.param(OK + "<order><orderID>1</orderID><status>New</status><shipments><shipment><shipDate>soon"
                     "</shipDate></shipment></shipments></order>", id="bad-ship-date"),
        pytest.param(OK + "<order><orderID>1</orderID><status>New</status><shipments><shipment><shipCost>NaN"
                     "</shipCost></shipment></shipments></order>", id="nan-cost"),
        pytest.param(OK + "<order><orderID>1</orderID><status><a>b</a></status></order>", id="structured-status"),
    ],
)
def test_hostile_status_answer_is_a_protocol_error(presswise, result):
    presswise.inject_fault("respond", body=ENVELOPE.format(op="get_order_status", result=result))
    with pytest.raises(PartnerProtocolError):
        presswise.client().get_order_status("1")


def test_hostile_find_orders_answer_is_a_protocol_error(presswise):
    body = ENVELOPE.format(op="find_orders", result=OK + "<orders><order><orderID>DROP</orderID></order></orders>")
    presswise.inject_fault("respond", body=body)
    with pytest.raises(PartnerProtocolError):
        presswise.client().find_orders("1")


def test_a_50_mb_answer_is_cut_off_at_the_cap_quickly(presswise):
    presswise.inject_fault("huge", size_mb=50)
    started = time.monotonic()
    with pytest.raises(PartnerProtocolError, match="larger than"):
        presswise.client().push_order(sample_order(), customer_id="42")
    assert time.monotonic() - started < FAST_TIMEOUTS.read + 1
    presswise.client().test_connection()  # the emulator and a fresh connection still work


def test_a_declared_length_over_the_cap_is_refused_before_reading(presswise):
    client = PressWiseClient(presswise.account, FAST_TIMEOUTS, max_response_bytes=1000)
    presswise.inject_fault("respond", body=ENVELOPE.format(op="find_orders", result=OK + " " * 2000))
    with pytest.raises(PartnerProtocolError, match="larger than 1000 bytes"):
        client.find_orders("1")
