"""Answers the fuzzer (tests/test_fuzz_presswise_answers.py) found mishandled, kept as plain examples."""

from __future__ import annotations

import pytest

from portal.partners.base import AccountSettings, PartnerProtocolError
from portal.partners.presswise import PressWiseClient
from portal.partners.presswise.soap import MalformedResponse, parse_response
from tests.fixtures.presswise import sample_order

ANSWER = ('<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body>'
          "<add_purchase_orderResponse><result><status><code>0</code><text>OK</text></status>"
          "<orderID>10528</orderID></result></add_purchase_orderResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>")

# Python has no codec by these names, or none that decodes text: expat asked Python, and the
# LookupError went past parse_response and the client, out of push_order.
NOT_TEXT_ENCODINGS = ["bogus", "rot13", "base64", "zlib", "hex", "mbcs"]


@pytest.mark.parametrize("encoding", NOT_TEXT_ENCODINGS)
def test_an_xml_declaration_naming_an_unknown_encoding_is_malformed(encoding):
    body = f'<?xml version="1.0" encoding="{encoding}"?>{ANSWER}'.encode()
    with pytest.raises(MalformedResponse):
        parse_response(body, "add_purchase_order")

    client = PressWiseClient(AccountSettings("https://presswise.example/r/wsdl-order2.php", "u", "p-secret", "c-secret"))
    client._post = lambda request_body, started: (200, body)
    with pytest.raises(PartnerProtocolError):
        client.push_order(sample_order(), customer_id="42")


def test_over_http_too(presswise):
    presswise.inject_fault("respond", body=f'<?xml version="1.0" encoding="bogus"?>{ANSWER}',
                           operation="add_purchase_order")
    with pytest.raises(PartnerProtocolError):
        presswise.client().push_order(sample_order(), customer_id="42")
