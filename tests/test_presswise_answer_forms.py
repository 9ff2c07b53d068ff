"""The client reads every operation's answer the same in the plain and the PHP SoapServer form."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from portal.partners.base import PartnerApiError, PushResult
from portal.partners.presswise.client import read_push_result
from portal.partners.presswise.soap import parse_response
from tests.fixtures.presswise import sample_address, sample_item, sample_order

NAMESPACES = (
    'xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="http://test-uri/" '
    'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:ns2="http://xml.apache.org/xml-soap" xmlns:SOAP-ENC="http://schemas.xmlsoap.org/soap/encoding/" '
    'SOAP-ENV:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"'
)

# The contract's PHP 8.2 answer, verbatim but for the second job it elides.
PHP_ADD_PURCHASE_ORDER = f"""<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope {NAMESPACES}><SOAP-ENV:Body>
<ns1:add_purchase_orderResponse>
  <return xsi:type="ns2:Map">
    <item><key xsi:type="xsd:string">result</key><value xsi:type="ns2:Map">
      <item><key xsi:type="xsd:string">status</key><value xsi:type="ns2:Map">
        <item><key xsi:type="xsd:string">code</key><value xsi:type="xsd:int">0</value></item>
        <item><key xsi:type="xsd:string">text</key><value xsi:type="xsd:string">OK</value></item>
      </value></item>
      <item><key xsi:type="xsd:string">orderID</key><value xsi:type="xsd:int">10528</value></item>
      <item><key xsi:type="xsd:string">jobs</key>
        <value SOAP-ENC:arrayType="ns2:Map[2]" xsi:type="SOAP-ENC:Array">
          <item xsi:type="ns2:Map">
            <item><key xsi:type="xsd:string">jobID</key><value xsi:type="xsd:int">88211</value></item>
            <item><key xsi:type="xsd:string">sourceJobID</key><value xsi:type="xsd:string">1</value></item>
          </item>
          <item xsi:type="ns2:Map">
            <item><key xsi:type="xsd:string">jobID</key><value xsi:type="xsd:int">88212</value></item>
            <item><key xsi:type="xsd:string">sourceJobID</key><value xsi:type="xsd:string">2</value></item>
          </item>
        </value></item>
    </value></item>
  </return>
</ns1:add_purchase_orderResponse>
</SOAP-ENV:Body></SOAP-ENV:Envelope>""".encode()

PLAIN_ADD_PURCHASE_ORDER = b"""<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body>
<add_purchase_orderResponse>
<result>
  <status><code>0</code><text>OK</text></status>
  <orderID>10528</orderID>
  <jobs>
    <job><jobID>88211</jobID><sourceJobID>1</sourceJobID></job>
    <job><jobID>88212</jobID><sourceJobID>2</sourceJobID></job>
  </jobs>
</result>
</add_purchase_orderResponse>
</SOAP-ENV:Body></SOAP-ENV:Envelope>"""


def test_the_contracts_php_answer_and_its_plain_twin_read_the_same():
    expected = PushResult(partner_order_id="10528", job_ids={"1": "88211", "2": "88212"})
    assert read_push_result(parse_response(PHP_ADD_PURCHASE_ORDER, "add_purchase_order")) == expected
    assert read_push_result(parse_response(PLAIN_ADD_PURCHASE_ORDER, "add_purchase_order")) == expected


def test_a_single_job_in_the_plain_form_is_still_a_list():
    body = PLAIN_ADD_PURCHASE_ORDER.replace(b"<job><jobID>88212</jobID><sourceJobID>2</sourceJobID></job>", b"")
    assert read_push_result(parse_response(body, "add_purchase_order")).job_ids == {"1": "88211"}


def _every_operation(emulator) -> dict:
    """Run every operation against ``emulator`` and return what the client read, IDs and times made comparable."""
    client = emulator.client()
    order = sample_order([sample_item(1), sample_item(2, shipping_address=sample_address(city="Leeds"))],
                         number="FORMS-1")
    pushed = client.push_order(order, customer_id="42")
    emulator.set_order_status(pushed.partner_order_id, "Production")
    emulator.set_job_status(pushed.job_ids["1"], "Shipped")
    emulator.add_shipment(pushed.partner_order_id, source_job_id="1", carrier="UPS & <Co>")
    status = client.get_order_status(pushed.partner_order_id)
    user = SimpleNamespace(email="forms@example.com", address=sample_address())
    created, adopted = client.create_user(user, customer_id="42"), client.create_user(user, customer_id="42")
    found, none_found = client.find_orders("FORMS-1"), client.find_orders("FORMS-404")
    with pytest.raises(PartnerApiError) as missing:
        client.get_order_status("1")
    return {
        "pushed": pushed,
        "status": (status.partner_order_id, status.status, status.jobs, status.shipments, bool(status.last_modified)),
        "users": (created, adopted),
        "found": [(f.partner_order_id, f.status, bool(f.created_at)) for f in found],
        "none_found": none_found,
        "missing": (missing.value.code, missing.value.text),
    }


def test_every_operation_reads_the_same_from_the_plain_and_the_php_emulator(presswise, presswise_php):
    plain = _every_operation(presswise)
    php = _every_operation(presswise_php)

    assert php == plain  # both emulators were reset, so they hand out the same IDs
    assert plain["status"][3][0].carrier == "UPS & <Co>"
    assert plain["users"][1].adopted
    assert "ns2:Map" in presswise_php.calls("get_order_status")[0]["response_body"]
    assert "ns2:Map" not in presswise.calls("get_order_status")[0]["response_body"]


def test_empty_lists_read_as_empty_in_both_forms(presswise, presswise_php):
    for emulator in (presswise, presswise_php):
        client = emulator.client()
        assert client.find_orders("nothing-here") == []
        pushed = client.push_order(sample_order(), customer_id="1")
        assert client.get_order_status(pushed.partner_order_id).shipments == []
