"""The emulator's control API, its page for people, and its command line."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
import requests
from bs4 import BeautifulSoup

from portal.partners.base import PartnerUnknownOutcome, Timeouts
from portal.partners.presswise.soap import build_envelope
from tests.fixtures.presswise import PROJECT_ROOT, sample_address, sample_order, start_emulator


def wait_until(condition, what: str, timeout: float = 10.0):
    """Poll ``condition`` until it returns something truthy; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting until {what}")


def waiting_calls(presswise) -> int:
    """Calls the emulator holds right now (latency or a hang fault)."""
    return presswise._call("GET", "state")["waiting_calls"]


def test_control_api_needs_the_token(presswise):
    for headers in ({}, {"X-Control-Token": "guess"}):
        response = requests.post(f"{presswise.base_url}/_control/reset", headers=headers, timeout=5)
        assert response.status_code == 403
    response = requests.get(f"{presswise.base_url}/_control/calls", timeout=5,
                            headers={"Authorization": f"Bearer {presswise.process.control_token}"})
    assert response.status_code == 200


def test_bad_control_input_is_a_400_not_a_crash(presswise):
    session = presswise._http
    assert session.post(f"{presswise.base_url}/_control/faults", json={"kind": "meteor"}, timeout=5).status_code == 400
    assert session.post(f"{presswise.base_url}/_control/latency", data=b"{not json", timeout=5).status_code == 400
    assert session.post(f"{presswise.base_url}/_control/orders/1/status", json={}, timeout=5).status_code == 400
    assert session.post(f"{presswise.base_url}/_control/orders/1/status", json={"status": "x"},
                        timeout=5).status_code == 404


def test_calls_are_listed_with_bodies_and_reset_empties_everything(presswise):
    client = presswise.client()
    client.push_order(sample_order(number="C-1"), customer_id="42")
    client.find_orders("C-1")
    presswise.inject_fault("code9")
    presswise.set_latency(5)

    calls = presswise.calls()
    assert [c["operation"] for c in calls] == ["add_purchase_order", "find_orders"]
    assert calls[0]["source_order_id"] == "C-1" and "<sourceOrderID>C-1</sourceOrderID>" in calls[0]["request_body"]
    assert "<orderID>" in calls[0]["response_body"]
    assert [c["operation"] for c in presswise.calls("find_orders")] == ["find_orders"]

    presswise.reset()

    assert presswise.calls() == [] and presswise.orders() == []
    state = presswise._call("GET", "state")
    assert state["faults"] == [] and state["latency"] == {"fixed_ms": 0.0, "jitter_ms": 0.0}
    assert client.push_order(sample_order(), customer_id="42").partner_order_id == "10501"  # IDs start over


def test_clearing_faults_keeps_orders_and_calls(presswise):
    client = presswise.client()
    client.push_order(sample_order(number="C-2"), customer_id="42")
    presswise.inject_fault("code9", fraction=1.0)

    assert presswise.clear_faults() == 1

    assert presswise._call("GET", "state")["faults"] == []
    assert client.find_orders("C-2")[0].partner_order_id == str(presswise.orders()[0]["order"]["id"])
    assert [c["operation"] for c in presswise.calls()] == ["add_purchase_order", "find_orders"]


def test_reset_releases_a_hanging_call_at_once(presswise):
    presswise.inject_fault("hang", seconds=60)
    with ThreadPoolExecutor(1) as pool:
        body = build_envelope("find_orders", [("auth", []), ("data", [("sourceOrderID", "1")])])
        hanging = pool.submit(requests.post, presswise.url, data=body, timeout=30)
        # Resetting before the call arrived would clear the fault and let it be answered.
        wait_until(lambda: waiting_calls(presswise) == 1, "the call hangs")
        assert [c["operation"] for c in presswise.calls()] == ["find_orders"]
        started = time.monotonic()
        presswise.reset()
        with pytest.raises(requests.ConnectionError):  # a hang ends without an answer
            hanging.result(timeout=5)
        assert time.monotonic() - started < 3
    assert presswise.calls() == []  # the reset came after the call was recorded


def test_the_page_lists_calls_newest_first_and_masks_secrets(presswise):
    client = presswise.client()
    client.push_order(sample_order(number="FIRST"), customer_id="42")
    client.push_order(sample_order(number="SECOND & <more>"), customer_id="42")

    response = requests.get(presswise.base_url + "/", timeout=5)

    assert response.status_code == 200
    page = BeautifulSoup(response.text, "html.parser")
    rows = page.select("tbody tr")
    assert [row.select("td")[3].get_text() for row in rows] == ["SECOND & <more>", "FIRST"]
    assert "code 0 OK" in rows[0].get_text()
    assert "demo-secret" not in response.text and "DEMO-AUTH" not in response.text
    assert "<pass>***</pass>" in rows[0].select_one("pre").get_text()


PHP_AUTH = (
    '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:ns2="http://xml.apache.org/xml-soap">'
    '<SOAP-ENV:Body><find_orders><auth xsi:type="ns2:Map">'
    "<item><key>user</key><value>demo</value></item>"
    '<item><key>Pass</key><value xsi:type="xsd:string">secret-map-pass</value></item>'
    "<item>\n <key>code</key>\n <value>secret-map-code</value></item>"
    "</auth><data><sourceOrderID>1</sourceOrderID></data></find_orders></SOAP-ENV:Body></SOAP-ENV:Envelope>"
)
ELEMENT_AUTH = (
    '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="urn:x">'
    "<SOAP-ENV:Body><find_orders><auth><user>demo</user><PASS>secret-upper</PASS>"
    '<ns1:code type="x"><![CDATA[secret-<cdata>-code]]></ns1:code></auth>'
    "<data><sourceOrderID>1</sourceOrderID></data></find_orders></SOAP-ENV:Body></SOAP-ENV:Envelope>"
)
SECRETS = ("secret-map-pass", "secret-map-code", "secret-upper", "secret-<cdata>-code", "demo-secret", "DEMO-AUTH")


def _send_every_secret_form(presswise) -> str:
    """Requests carrying secrets in each form; returns the loginPass the client generated."""
    client = presswise.client()
    client.create_user(SimpleNamespace(email="ada@example.com", address=sample_address()), customer_id="42")
    for body in (PHP_AUTH, ELEMENT_AUTH):
        requests.post(presswise.url, data=body.encode(), timeout=5)
    raw = presswise._call("GET", "calls", params={"raw": "1"})["calls"]
    login_pass = re.search(r"<loginPass>([^<]+)</loginPass>", raw[0]["request_body"]).group(1)
    return login_pass


def test_the_page_masks_login_passwords_and_secrets_in_every_form(presswise):
    login_pass = _send_every_secret_form(presswise)

    page = requests.get(presswise.base_url + "/", timeout=5).text

    for secret in SECRETS + (login_pass,):
        assert html.escape(secret) not in page and secret not in page, secret
    assert html.escape("<loginPass>***</loginPass>") in page
    assert html.escape("<key>Pass</key><value xsi:type=\"xsd:string\">***</value>") in page


def test_control_calls_are_masked_unless_raw_bodies_are_asked_for(presswise):
    login_pass = _send_every_secret_form(presswise)

    masked = " ".join(c["request_body"] for c in presswise.calls())
    raw = " ".join(c["request_body"] for c in presswise._call("GET", "calls", params={"raw": "1"})["calls"])

    for secret in SECRETS + (login_pass,):
        assert secret not in masked, secret
        assert secret in raw, secret
    assert "<user>demo</user>" in masked, "only the secrets are masked"


def test_help_shows_every_flag_with_the_demo_defaults():
    output = subprocess.run([sys.executable, "-m", "presswise_emulator", "--help"], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=30, check=True,
                            env={**os.environ, "COLUMNS": "250"}).stdout
    flat = " ".join(output.split())
    for flag in ("--host", "--port", "--db", "--user", "--password", "--code", "--control-token", "--encoding"):
        assert flag in flat
    for default in ("127.0.0.1", "instance/presswise-emulator.db", "(default: demo)", "demo-secret", "DEMO-AUTH",
                    "(default: plain)"):
        assert default in flat


def test_orders_survive_a_restart_in_the_same_sqlite_file(tmp_path):
    first = start_emulator(tmp_path)
    try:
        from portal.partners.base import AccountSettings
        from portal.partners.presswise import PressWiseClient

        account = AccountSettings(first.url, "demo", "demo-secret", "DEMO-AUTH")
        pushed = PressWiseClient(account).push_order(sample_order(number="KEEP"), customer_id="1")
    finally:
        first.stop()
    second = start_emulator(tmp_path)
    try:
        account = AccountSettings(second.url, "demo", "demo-secret", "DEMO-AUTH")
        found = PressWiseClient(account).find_orders("KEEP")
        assert [f.partner_order_id for f in found] == [pushed.partner_order_id]
    finally:
        second.stop()


def test_concurrent_calls_are_served_in_parallel(presswise):
    """16 calls are held by the latency at the same moment: a server taking one call at a time would hold
    one. No clock in it (how fast answers come under load is bench/presswise_roundtrip.py's business)."""
    presswise.set_latency(60_000)  # nothing is answered before the reset below
    client = presswise.client(timeouts=Timeouts(connect=2.0, read=30.0))

    def push(n: int):
        return client.push_order(sample_order(number=f"P-{n}"), customer_id="1")

    with ThreadPoolExecutor(16) as pool:
        held = [pool.submit(push, n) for n in range(16)]
        wait_until(lambda: waiting_calls(presswise) == 16, "16 calls are held at once")
        presswise.reset()
        for call in held:
            with pytest.raises(PartnerUnknownOutcome):  # released by the reset, without an answer
                call.result(timeout=10)
        assert presswise.orders() == []

        results = list(pool.map(push, range(16)))
    assert len({r.partner_order_id for r in results}) == 16  # simultaneous pushes get an ID each


def test_a_slow_call_interrupted_by_reset_leaves_nothing_behind(presswise):
    presswise.set_latency(5000)
    body = build_envelope("find_orders", [("auth", []), ("data", [("sourceOrderID", "1")])])
    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(requests.post, presswise.url, data=body, timeout=30)
        # Resetting before the call arrived would clear the latency and let it be answered and recorded.
        wait_until(lambda: waiting_calls(presswise) == 1, "the call waits out its latency")
        presswise.reset()
        with pytest.raises(requests.ConnectionError):
            slow.result(timeout=5)
    assert presswise.calls() == []
