"""The emulator's control API, its page for people, and its command line."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from bs4 import BeautifulSoup

from portal.partners.presswise.soap import build_envelope
from tests.fixtures.presswise import PROJECT_ROOT, sample_order, start_emulator


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


def test_reset_releases_a_hanging_call_at_once(presswise):
    presswise.inject_fault("hang", seconds=60)
    with ThreadPoolExecutor(1) as pool:
        body = build_envelope("find_orders", [("auth", []), ("data", [("sourceOrderID", "1")])])
        hanging = pool.submit(requests.post, presswise.url, data=body, timeout=30)
        time.sleep(0.3)
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
    presswise.set_latency(300)
    client = presswise.client()
    started = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda n: client.push_order(sample_order(number=f"P-{n}"), customer_id="1"), range(16)))
    assert time.monotonic() - started < 0.3 * 4  # serially it would take 4.8 s
    assert len({r.partner_order_id for r in results}) == 16


def test_a_slow_call_interrupted_by_reset_leaves_nothing_behind(presswise):
    presswise.set_latency(5000)
    body = build_envelope("find_orders", [("auth", []), ("data", [("sourceOrderID", "1")])])
    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(requests.post, presswise.url, data=body, timeout=30)
        time.sleep(0.3)
        presswise.reset()
        with pytest.raises(requests.ConnectionError):
            slow.result(timeout=5)
    assert presswise.calls() == []
