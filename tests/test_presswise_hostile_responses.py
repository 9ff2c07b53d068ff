"""Answers a hostile or broken server could send are refused with the client's own error type."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from portal.partners.base import AccountSettings, PartnerProtocolError
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
        pytest.param(ENVELOPE.format(op="add_purchase_order", result="<status><code>--1</code></status>"),
                     id="double-minus-code"),
        pytest.param(ENVELOPE.format(op="add_purchase_order", result="<status><code>0²</code></status>"),
                     id="superscript-digit-code"),
        pytest.param(ENVELOPE.format(op="add_purchase_order", result="<status><code>-</code></status>"),
                     id="minus-only-code"),
        pytest.param(ENVELOPE.format(op="add_purchase_order", result=f"<status><code>{'1' * 5000}</code></status>"),
                     id="5000-digit-code"),
        pytest.param(ENVELOPE.format(op="add_purchase_order", result=OK + f"<orderID>{'7' * 5000}</orderID>"),
                     id="5000-digit-orderID"),
        pytest.param(ENVELOPE.format(op="add_purchase_order", result=OK + f"<orderID>{'7' * 21}</orderID>"),
                     id="21-digit-orderID"),
        pytest.param(ENVELOPE.format(op="add_purchase_order", result=OK + "<orderID>1</orderID><jobs><job>"
                                     f"<jobID>{'9' * 5000}</jobID><sourceJobID>1</sourceJobID></job></jobs>"),
                     id="5000-digit-jobID"),
        pytest.param(ENVELOPE.format(op="add_purchase_order", result=OK + "<orderID>1</orderID>"
                                     + "<x>" * 100_000 + "</x>" * 100_000), id="100k-levels-deep"),
        pytest.param(ENVELOPE.format(op="add_purchase_order", result=OK + "<orderID>1</orderID>"
                                     + "<x>" * 40 + "</x>" * 40), id="40-levels-deep"),
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


@pytest.mark.parametrize(
    "orders",
    [
        pytest.param("<orders><order><orderID>DROP</orderID></order></orders>", id="non-numeric-orderID"),
        pytest.param(f"<orders><order><orderID>{'4' * 5000}</orderID></order></orders>", id="5000-digit-orderID"),
        pytest.param("<orders>" + "<order>" * 100_000 + "</order>" * 100_000 + "</orders>", id="100k-levels-deep"),
    ],
)
def test_hostile_find_orders_answer_is_a_protocol_error(presswise, orders):
    presswise.inject_fault("respond", body=ENVELOPE.format(op="find_orders", result=OK + orders))
    with pytest.raises(PartnerProtocolError):
        presswise.client().find_orders("1")


PHP_MAP_LEVEL = ('<value xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="ns2:Map">'
                 "<item><key>k</key>")


def test_deeply_nested_php_maps_are_a_protocol_error(presswise):
    deep = PHP_MAP_LEVEL * 20_000 + "<value>1</value>" + "</item></value>" * 20_000
    presswise.inject_fault("respond", body=ENVELOPE.format(op="get_order_status", result=OK + f"<order>{deep}</order>"))
    with pytest.raises(PartnerProtocolError):
        presswise.client().get_order_status("1")


def test_ordinary_ids_still_read_with_leading_zeros_and_surrounding_space(presswise):
    body = ENVELOPE.format(op="add_purchase_order", result="<status><code> 0\n</code><text>OK</text></status>"
                           "<orderID>\n  0010528 </orderID><jobs><job><jobID>00000000000000000001</jobID>"
                           "<sourceJobID>1</sourceJobID></job></jobs>")
    presswise.inject_fault("respond", body=body)
    result = presswise.client().push_order(sample_order(), customer_id="42")
    assert result.partner_order_id == "10528" and result.job_ids == {"1": "1"}


class OneAnswerServer:
    """Answers every request on a local port with the same raw bytes (headers included)."""

    def __init__(self, answer: bytes):
        self.answer = answer
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}/r/wsdl-order2.php"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.socket.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    request = b""
                    while b"</SOAP-ENV:Envelope>" not in request:  # all of it: unread bytes would reset
                        request += conn.recv(65536) or b"</SOAP-ENV:Envelope>"
                    conn.sendall(self.answer)
                except OSError:
                    pass

    def close(self):
        try:
            self.socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.socket.close()


@pytest.mark.parametrize("length", ["9" * 5000, "²", "1_000"])
def test_a_hostile_content_length_is_a_protocol_error(length):
    body = ENVELOPE.format(op="find_orders", result=OK).encode()
    server = OneAnswerServer(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nConnection: close\r\n"
                             + f"Content-Length: {length}\r\n\r\n".encode("latin-1") + body)
    try:
        client = PressWiseClient(AccountSettings(server.url, "demo", "demo-secret", "DEMO-AUTH"), FAST_TIMEOUTS)
        with pytest.raises(PartnerProtocolError):
            client.find_orders("1")
    finally:
        server.close()


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
