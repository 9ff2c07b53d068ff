"""Fuzzing the way in: any bytes PressWise answers end in a value or the client's own error.

``parse_response`` reads a body into the operation's ``result`` or raises its own
``MalformedResponse`` or ``SoapFault``; every operation of ``PressWiseClient`` (through
``send`` and ``_interpret``, the transport replaced by the answer under test, with any
HTTP status) returns its typed result or raises a ``PartnerError`` subclass, never
anything else, and no error message repeats the account's password or authorization code.

The answers: random bytes; and answers shaped like the real ones, in the plain form and
the PHP ``ns2:Map`` form, for every operation, whose every field may be missing, doubled,
nil, a structure where text belongs, or any text (numbers in other scripts, huge digits,
dates that are not), then perhaps cut short, spliced with random bytes, or preceded by an
XML declaration naming any encoding, a BOM or a DTD.

Example counts: see ``tests/fuzzing.py`` (``HYPOTHESIS_PROFILE=soak`` for a long run).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from xml.sax.saxutils import escape

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from portal.partners.base import (AccountSettings, FoundOrder, PartnerError, PartnerOrderStatus, PushResult,
                                  UserResult)
from portal.partners.presswise import PressWiseClient
from portal.partners.presswise.soap import MalformedResponse, SoapFault, parse_response
from tests.fixtures.presswise import sample_address, sample_order
from tests.fuzzing import fuzz_settings

# An answer that declares encoding="unicode_escape" is decoded by that codec, which warns about
# backslashes; it is read (or refused) like any other body.
pytestmark = pytest.mark.filterwarnings("ignore:invalid escape sequence:DeprecationWarning")

OPERATIONS = ("add_purchase_order", "create_user", "find_orders", "get_order_status")
PASSWORD, AUTH_CODE = "fuzz-password-5d1e", "FUZZ-CODE-0b7c"

ENVELOPE_OPEN = ('<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" '
                 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
                 'xmlns:ns2="http://xml.apache.org/xml-soap" '
                 'xmlns:SOAP-ENC="http://schemas.xmlsoap.org/soap/encoding/"><SOAP-ENV:Body>')
ENVELOPE_CLOSE = "</SOAP-ENV:Body></SOAP-ENV:Envelope>"

# Any text at all, and texts a broken answer is likely to hold.
TRICKY = ["", " ", "0", "1", "2", "9", "-1", "00", "10528", "9" * 21, "9" * 5000, "²", "١٢٣", "１２", "1e9", "NaN",
          "Infinity", "-0", "1_000", "12.40", "2026-13-45", "OK", PASSWORD, f"wrong pass {PASSWORD} code {AUTH_CODE}"]
texts = st.sampled_from(TRICKY) | st.text(max_size=30)

# What a broken answer might put in each kind of field.
ID_TRICKS = ["", "²", "١٢٣", "１２", "9" * 21, "9" * 5000, "-1", " 7 ", "1.0", "0x10", "1e3", "+5", "7\n"]
WRONG = {
    "code": ["", "²", "-", "--1", "0²", "00", " 0 ", "+0", "-0", "1" * 5000, "0.0", "zero", "9", "1", "2", "3", "42"],
    "orderID": ID_TRICKS, "jobID": ID_TRICKS, "userID": ID_TRICKS,
    "shipDate": ["2026-13-45", "20261104", "2026-11-04T25:00", "0000-00-00", "9999-99-99", "tomorrow", "²"],
    "shipCost": ["NaN", "sNaN", "-NaN", "Infinity", "-Infinity", "inf", "1E+999999999", "1e99999999999999999999",
                 "1,50", "€12", "1_000", "١٢٣", "0x10", "--1"],
    "text": ["loginID exists", "LOGINID EXISTS", "loginid EXISTS already", PASSWORD,
             f"wrong pass {PASSWORD} code {AUTH_CODE}"],
}

# A correct answer's values.
ID = st.integers(min_value=0, max_value=10**15).map(str)
PLAIN_TEXT = st.text(st.characters(exclude_categories=("Cs", "Cc", "Cn")), max_size=20)
VALID = {
    "code": st.just("0"), "text": st.just("OK") | PLAIN_TEXT,
    "orderID": ID, "jobID": ID, "userID": ID,
    "sourceJobID": st.integers(min_value=1, max_value=99).map(str),
    "shipDate": st.dates().map(date.isoformat) | st.just(""),
    "shipCost": st.decimals(allow_nan=False, allow_infinity=False, places=2,
                            min_value=-10**9, max_value=10**9).map(str) | st.just(""),
}
STATUS = ("code", "text")
JOB = ("jobID", "sourceJobID")
FOUND = ("orderID", "status", "createDate")
JOB_STATUS = ("jobID", "sourceJobID", "status")
SHIPMENT = ("sourceJobID", "shipDate", "shipMethod", "carrier", "trackingNumber", "shipCost")
LIST_ITEMS = {"jobs": "job", "orders": "order", "shipments": "shipment"}


def struct(names: tuple[str, ...]):
    return st.fixed_dictionaries({name: VALID.get(name, PLAIN_TEXT) for name in names})


def correct_result(operation: str, min_entries: int = 0):
    """The ``result`` of a correct answer to ``operation``, as nested dicts, lists and strings."""
    status = struct(STATUS)

    def entries(names):
        return st.lists(struct(names), min_size=min_entries, max_size=3)

    if operation == "add_purchase_order":
        return st.fixed_dictionaries({"status": status, "orderID": ID, "jobs": entries(JOB)})
    if operation == "create_user":
        return st.fixed_dictionaries({"status": status, "userID": ID})
    if operation == "find_orders":
        return st.fixed_dictionaries({"status": status, "orders": entries(FOUND)})
    order = st.fixed_dictionaries({"orderID": ID, "status": PLAIN_TEXT, "lastModified": PLAIN_TEXT,
                                   "jobs": entries(JOB_STATUS), "shipments": entries(SHIPMENT)})
    return st.fixed_dictionaries({"status": status, "order": order})


class Twice:
    """A value written twice: two elements of one name, or two Map entries with one key."""

    def __init__(self, value):
        self.value = value


def places(value, path=()):
    """Every (container, key) in ``value``, containers included."""
    found = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, inner in items:
        found.append((value, key))
        found += places(inner, path + (key,))
    return found


def spot_name(key) -> str:
    return key if isinstance(key, str) else "an entry of a list"


CHANGES = ["wrong", "wrong", "wrong", "text", "missing", "nil", "twice", "structure"]


@st.composite
def corrupted(draw, result: dict, times=st.integers(min_value=1, max_value=3)) -> dict:
    """``result`` with something wrong, once or more: a wrong value for its field, any text, missing,
    nil, doubled, a structure where text belongs or text where a structure does. The field is
    chosen by name first (each name as likely), then one of its places."""
    for _ in range(draw(times)):
        spots = places(result)
        if not spots:
            break
        name = draw(st.sampled_from(sorted({spot_name(key) for _, key in spots})))
        container, key = draw(st.sampled_from([spot for spot in spots if spot_name(spot[1]) == name]))
        change = draw(st.sampled_from(CHANGES))
        if change == "wrong" and name in WRONG:
            container[key] = draw(st.sampled_from(WRONG[name]))
        elif change == "missing" and isinstance(container, dict):
            del container[key]
        elif change == "nil":
            container[key] = None
        elif change == "twice":
            container[key] = Twice(container[key])
        elif change == "structure":
            container[key] = draw(st.sampled_from([{}, [], {"unexpected": "1"}, [{"x": "1"}]]))
        else:
            container[key] = draw(texts)
    return result


def envelope(result, operation: str, form: str) -> bytes:
    if form == "plain":
        inner = tagged(f"{operation}Response", plain(result, "result"))
    else:
        inner = tagged(f"ns1:{operation}Response", php({"result": result}, "return"), ' xmlns:ns1="http://test-uri/"')
    return (ENVELOPE_OPEN + inner + ENVELOPE_CLOSE).encode()


def plain(value, name: str) -> str:
    if isinstance(value, Twice):
        return plain(value.value, name) * 2
    if value is None:
        return f'<{name} xsi:nil="true"/>'
    if isinstance(value, str):
        return tagged(name, escape(value))
    if isinstance(value, list):
        return tagged(name, "".join(plain(item, LIST_ITEMS.get(name, "item")) for item in value))
    return tagged(name, "".join(plain(inner, key) for key, inner in value.items()))


def php(value, name: str = "value") -> str:
    """PHP SoapServer's encoding: ns2:Map for dicts, SOAP-ENC:Array for lists."""
    if isinstance(value, Twice):
        return php(value.value, name)  # a Map entry written twice: see php_map
    if value is None:
        return f'<{name} xsi:nil="true"/>'
    if isinstance(value, str):
        return f'<{name} xsi:type="xsd:string">{escape(value)}</{name}>'
    if isinstance(value, list):
        return (f'<{name} SOAP-ENC:arrayType="ns2:Map[{len(value)}]" xsi:type="SOAP-ENC:Array">'
                + "".join(php(entry, "item") for entry in value) + f"</{name}>")
    entries = "".join(f'<item><key xsi:type="xsd:string">{escape(key)}</key>{php(inner)}</item>'
                      * (2 if isinstance(inner, Twice) else 1) for key, inner in value.items())
    return f'<{name} xsi:type="ns2:Map">{entries}</{name}>'


def tagged(name: str, inner: str, attributes: str = "") -> str:
    return f"<{name}{attributes}>{inner}</{name}>"


@st.composite
def shaped_answer(draw, operation: str) -> bytes:
    """A correct answer to ``operation`` in the plain or the PHP form, most often with something wrong."""
    result = draw(correct_result(operation))
    if draw(st.integers(min_value=0, max_value=4)):
        result = draw(corrupted(result))
    answered = operation if draw(st.integers(min_value=0, max_value=19)) else draw(st.sampled_from(OPERATIONS))
    form = draw(st.sampled_from(["plain", "php", "php", "fault"] if draw(st.booleans()) else ["plain", "php"]))
    if form == "plain":
        inner = tagged(f"{answered}Response", plain(result, "result"))
    elif form == "php":
        inner = tagged(f"ns1:{answered}Response", php({"result": result}, "return"), ' xmlns:ns1="http://test-uri/"')
    else:
        inner = tagged("SOAP-ENV:Fault", tagged("faultcode", escape(draw(texts))) + tagged("faultstring", escape(draw(texts))))
    body = ENVELOPE_OPEN + inner + ENVELOPE_CLOSE
    if not draw(st.integers(min_value=0, max_value=4)):  # one in five: the bytes themselves go wrong
        return draw(mangled(body))
    return (draw(st.sampled_from(["", '<?xml version="1.0" encoding="UTF-8"?>'])) + body).encode()


ENCODINGS = ("utf-16", "latin-1", "ascii", "bogus", "rot13", "base64", "zlib", "hex", "utf-7", "unicode_escape",
             "idna", "mbcs", "cp037", "utf-32", "x" * 300)


@st.composite
def mangled(draw, body: str) -> bytes:
    """``body`` behind an odd XML declaration, a BOM or a DTD, cut short, spliced or with a byte changed."""
    prefix = draw(st.sampled_from(["", "\ufeff", '<?xml version="1.1"?>', '<!DOCTYPE r [<!ENTITY e "x">]>',
                                   *(f'<?xml version="1.0" encoding="{encoding}"?>' for encoding in ENCODINGS)]))
    data = (prefix + body).encode()
    change = draw(st.sampled_from(["none", "cut short", "spliced", "a byte changed"]))
    if change == "cut short":
        data = data[:draw(st.integers(min_value=0, max_value=len(data)))]
    elif change == "spliced":
        at = draw(st.integers(min_value=0, max_value=len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    elif change == "a byte changed":
        at = draw(st.integers(min_value=0, max_value=len(data) - 1))
        data = data[:at] + bytes([draw(st.integers(min_value=0, max_value=255))]) + data[at + 1:]
    return data


@st.composite
def answers(draw):
    operation = draw(st.sampled_from(OPERATIONS))
    if draw(st.integers(min_value=0, max_value=9)):
        return operation, draw(shaped_answer(operation))
    return operation, draw(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))


statuses = st.sampled_from([200] * 30 + [201, 204, 301, 400, 401, 403, 404, 500, 502, 503, 599])


@fuzz_settings(300)
@given(answer=answers())
def test_parse_response_reads_a_result_or_refuses_with_its_own_error(answer):
    operation, body = answer
    try:
        result = parse_response(body, operation)
    except (MalformedResponse, SoapFault):
        return
    assert isinstance(result, dict)


def call(client: PressWiseClient, operation: str):
    if operation == "add_purchase_order":
        return client.push_order(sample_order(), customer_id="42", user_id="7")
    if operation == "create_user":
        return client.create_user(SimpleNamespace(email="ann@example.com", address=sample_address()), customer_id="42")
    if operation == "find_orders":
        return client.find_orders("10001", customer_id="42")
    return client.get_order_status("10528")


def check_typed(operation: str, value) -> None:
    digits = lambda text: isinstance(text, str) and text.isascii() and text.isdigit()  # noqa: E731
    if operation == "add_purchase_order":
        assert isinstance(value, PushResult) and digits(value.partner_order_id)
        assert all(isinstance(k, str) and digits(v) for k, v in value.job_ids.items())
    elif operation == "create_user":
        assert isinstance(value, UserResult) and digits(value.partner_user_id)
    elif operation == "find_orders":
        assert isinstance(value, list) and all(isinstance(found, FoundOrder) and digits(found.partner_order_id)
                                               and isinstance(found.status, str) for found in value)
    else:
        assert isinstance(value, PartnerOrderStatus) and digits(value.partner_order_id)
        assert isinstance(value.status, str) and all(digits(job.partner_job_id) for job in value.jobs)
        for shipment in value.shipments:
            assert isinstance(shipment.cost, Decimal) and shipment.cost.is_finite()
            assert shipment.ship_date is None or isinstance(shipment.ship_date, date)


@fuzz_settings(300)
@given(answer=answers(), status=statuses)
def test_every_operation_ends_in_its_result_or_a_partner_error(answer, status):
    operation, body = answer
    client = PressWiseClient(AccountSettings("https://presswise.example/r/wsdl-order2.php", "fuzz", PASSWORD,
                                             AUTH_CODE))
    client._post = lambda request_body, started: (status, body)  # the transport: this answer, this status
    try:
        value = call(client, operation)
    except PartnerError as error:
        assert PASSWORD not in str(error) and AUTH_CODE not in str(error)
        event(f"{operation}: {type(error).__name__}")
        return
    event(f"{operation}: a result")
    assert status == 200, "only HTTP 200 carries a result"
    check_typed(operation, value)


@fuzz_settings(100)
@given(data=st.binary(max_size=2000), operation=st.sampled_from(OPERATIONS), status=statuses)
def test_random_bytes_are_refused_with_the_clients_own_error(data, operation, status):
    try:
        parse_response(data, operation)
    except (MalformedResponse, SoapFault):
        pass
    client = PressWiseClient(AccountSettings("https://presswise.example/r/wsdl-order2.php", "fuzz", PASSWORD,
                                             AUTH_CODE))
    client._post = lambda request_body, started: (status, data)
    try:
        call(client, operation)
    except PartnerError:
        pass


@pytest.mark.parametrize("operation", OPERATIONS)
@fuzz_settings(150)
@given(data=st.data(), form=st.sampled_from(["plain", "php"]))
def test_a_correct_answer_with_one_field_wrong_is_read_or_refused(operation, data, form):
    """Deep in the readers: everything right but one value, wherever it is."""
    result = data.draw(corrupted(data.draw(correct_result(operation, min_entries=1)), times=st.just(1)))
    client = PressWiseClient(AccountSettings("https://presswise.example/r/wsdl-order2.php", "fuzz", PASSWORD,
                                             AUTH_CODE))
    client._post = lambda request_body, started: (200, envelope(result, operation, form))
    try:
        value = call(client, operation)
    except PartnerError as error:
        assert PASSWORD not in str(error) and AUTH_CODE not in str(error)
        event(f"{type(error).__name__}")
        return
    event("a result")
    check_typed(operation, value)
