"""The emulator's own answers: credentials, validation (code 2 naming the field), request forms, faults."""

from __future__ import annotations

import socket
from xml.sax.saxutils import escape

import pytest
import requests

from portal.partners.presswise.mapping import purchase_order_data
from portal.partners.presswise.soap import as_list, build_envelope, parse_response
from tests.fixtures.presswise import sample_item, sample_order

HEADERS = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"#POST"'}
AUTH = [("user", "demo"), ("pass", "demo-secret"), ("code", "DEMO-AUTH")]
PHP_NAMESPACES = (
    'xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="http://test-uri/" '
    'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:ns2="http://xml.apache.org/xml-soap" xmlns:SOAP-ENC="http://schemas.xmlsoap.org/soap/encoding/" '
    'SOAP-ENV:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"'
)


def post(presswise, body: bytes) -> requests.Response:
    return requests.post(presswise.url, data=body, headers=HEADERS, timeout=5)


def result_of(presswise, operation: str, params, auth=AUTH) -> dict:
    response = post(presswise, build_envelope(operation, [("auth", auth)] + params))
    assert response.status_code == 200, response.text
    return parse_response(response.content, operation)


def order_data(**changes):
    data = purchase_order_data(sample_order(), customer_id="42")
    return [(name, changes.get(name, value)) for name, value in data if changes.get(name) is not DROP]


DROP = object()


@pytest.mark.parametrize(
    "auth",
    [
        [("user", "demo"), ("pass", "wrong"), ("code", "DEMO-AUTH")],
        [("user", "someone"), ("pass", "demo-secret"), ("code", "DEMO-AUTH")],
        [("user", "demo"), ("pass", "demo-secret"), ("code", "")],
        [("user", "demo"), ("pass", "demo-secret")],
        [],
    ],
    ids=["password", "user", "empty-code", "no-code", "empty-auth"],
)
def test_wrong_credentials_answer_code_1(presswise, auth):
    result = result_of(presswise, "add_purchase_order", [("data", order_data())], auth=auth or "")
    assert result["status"]["code"] == "1"
    assert "authentication" in result["status"]["text"]
    assert presswise.orders() == []


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"customerID": "ACME"}, "data.customerID"),
        ({"userID": "u-1"}, "data.userID"),
        ({"sourceOrderID": ""}, "data.sourceOrderID"),
        ({"btTerms": "Credit"}, "data.btTerms"),
        ({"dueDate": "20/11/2026"}, "data.dueDate"),
        ({"subTotal": "49.5"}, "data.subTotal"),
        ({"totalCost": "$61.46"}, "data.totalCost"),
        ({"isReprint": "no"}, "data.isReprint"),
        ({"btEmail": DROP}, "data.btEmail"),
        ({"item": DROP, "shipTo": DROP}, "data.item"),
    ],
)
def test_invalid_order_answers_code_2_naming_the_field(presswise, changes, field):
    result = result_of(presswise, "add_purchase_order", [("data", order_data(**changes))])
    assert result["status"]["code"] == "2"
    assert field in result["status"]["text"]
    assert presswise.orders() == []


@pytest.mark.parametrize(
    "item_changes, field",
    [
        ({"quantity": 0}, "data.item[2].quantity"),
        ({"product_name": ""}, "data.item[2].productDesc"),
        ({"number": 1}, "data.item[2].sourceJobID"),
    ],
)
def test_invalid_item_answers_code_2_naming_the_item_and_field(presswise, item_changes, field):
    fields = dict(number=2, options_text="")
    fields.update(item_changes)
    order = sample_order([sample_item(1), sample_item(**fields)])
    result = result_of(presswise, "add_purchase_order", [("data", purchase_order_data(order, customer_id="42"))])
    assert result["status"]["code"] == "2"
    assert field in result["status"]["text"]


def test_other_operations_validate_their_fields(presswise):
    assert "data.orderID" in result_of(presswise, "get_order_status", [("data", [("orderID", "ten")])])["status"]["text"]
    assert "data.sourceOrderID" in result_of(presswise, "find_orders", [("data", [("customerID", "4")])])["status"]["text"]
    answer = result_of(presswise, "create_user", [("request", [("customerID", "42"), ("user", [("loginID", "x")])])])
    assert answer["status"]["code"] == "2" and "request.user.loginPass" in answer["status"]["text"]


def test_unknown_operation_and_unreadable_request_are_soap_faults(presswise):
    unknown = post(presswise, build_envelope("delete_everything", [("auth", AUTH)]))
    assert unknown.status_code == 500 and b"<faultstring>Procedure 'delete_everything' not present" in unknown.content
    broken = post(presswise, b"<SOAP-ENV:Envelope><oops")
    assert broken.status_code == 500 and b"SOAP-ENV:Client" in broken.content
    entity = post(presswise, b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')
    assert entity.status_code == 500
    assert requests.get(presswise.url, timeout=5).status_code == 405


# --- the PHP SoapClient request forms -------------------------------------------------------

def php_struct(name: str, value) -> str:
    """PHP SoapClient (non-WSDL) encoding of stdClass objects: xsi:type on every value."""
    if isinstance(value, str):
        return f'<{name} xsi:type="xsd:string">{escape(value)}</{name}>'
    items = [v for n, v in value if n == "item"]
    inner = "".join(php_struct(n, v) for n, v in value if n != "item")
    if items:
        inner += (f'<item SOAP-ENC:arrayType="SOAP-ENC:Struct[{len(items)}]" xsi:type="SOAP-ENC:Array">'
                  + "".join(php_struct("item", v) for v in items) + "</item>")
    return f'<{name} xsi:type="SOAP-ENC:Struct">{inner}</{name}>'


def php_map(name: str, value) -> str:
    """PHP SoapClient encoding of associative arrays: Apache Maps of item/key/value."""
    def encode(tag, v):
        if isinstance(v, str):
            return f'<{tag} xsi:type="xsd:string">{escape(v)}</{tag}>'
        if isinstance(v, list) and v and not isinstance(v[0], tuple):
            return (f'<{tag} SOAP-ENC:arrayType="ns2:Map[{len(v)}]" xsi:type="SOAP-ENC:Array">'
                    + "".join(encode("item", x) for x in v) + f"</{tag}>")
        grouped: dict = {}
        for n, x in v:
            grouped.setdefault(n, []).append(x)
        entries = "".join(
            f'<item><key xsi:type="xsd:string">{n}</key>{encode("value", xs if n == "item" else xs[0])}</item>'
            for n, xs in grouped.items()
        )
        return f'<{tag} xsi:type="ns2:Map">{entries}</{tag}>'
    return encode(name, value)


def php_envelope(operation: str, params, encoder) -> bytes:
    inner = "".join(encoder(name, value) for name, value in params)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<SOAP-ENV:Envelope {PHP_NAMESPACES}><SOAP-ENV:Body>'
            f"<ns1:{operation}>{inner}</ns1:{operation}></SOAP-ENV:Body></SOAP-ENV:Envelope>").encode()


@pytest.mark.parametrize("encoder", [php_struct, php_map], ids=["stdClass-structs", "assoc-array-maps"])
def test_php_soapclient_requests_are_understood(presswise, encoder):
    order = sample_order([sample_item(1), sample_item(2)], number="PHP-1", notes="O'Brien & <Sons>")
    params = [("auth", AUTH), ("data", purchase_order_data(order, customer_id="42"))]

    response = post(presswise, php_envelope("add_purchase_order", params, encoder))

    result = parse_response(response.content, "add_purchase_order")
    assert result["status"]["code"] == "0", result
    stored = presswise.orders()[0]
    assert [j["source_job_id"] for j in stored["jobs"]] == ["1", "2"]
    assert '"comments": "O\'Brien & <Sons>"' in stored["order"]["data"]
    found = post(presswise, php_envelope("find_orders", [("auth", AUTH), ("data", [("sourceOrderID", "PHP-1")])],
                                         encoder))
    assert len(as_list(parse_response(found.content, "find_orders")["orders"], "order")) == 1


def test_operation_element_with_a_namespace_is_accepted(presswise):
    body = build_envelope("find_orders", [("auth", AUTH), ("data", [("sourceOrderID", "1")])])
    body = body.replace(b"<find_orders>", b'<ns1:find_orders xmlns:ns1="http://test-uri/">')
    body = body.replace(b"</find_orders>", b"</ns1:find_orders>")
    assert parse_response(post(presswise, body).content, "find_orders")["status"]["code"] == "0"


def test_a_request_nested_100000_levels_deep_is_a_client_fault_not_a_dropped_connection(presswise):
    deep = "<x>" * 100_000 + "</x>" * 100_000
    body = build_envelope("find_orders", [("auth", AUTH)]).replace(b"</find_orders>", deep.encode() + b"</find_orders>")

    response = post(presswise, body)

    assert response.status_code == 500 and b"nested more than" in response.content
    ordinary = build_envelope("find_orders", [("auth", AUTH), ("data", [("sourceOrderID", "1")])])
    assert parse_response(post(presswise, ordinary).content, "find_orders")["status"]["code"] == "0"


@pytest.mark.parametrize("length", ["\u00b2", "9" * 5000])
def test_a_content_length_that_is_not_ascii_digits_is_refused(presswise, length):
    host, port = presswise.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        head = f"POST /r/wsdl-order2.php HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n"
        conn.sendall(head.encode("latin-1"))
        answer = conn.recv(4096)
    assert answer.startswith(b"HTTP/1.1 411")
