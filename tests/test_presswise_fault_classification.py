"""Every way a PressWise call can fail ends in the right PartnerError, and none outlasts the timeout."""

from __future__ import annotations

import socket
import time

import pytest

from portal.domain.partner_calls import NextStep
from portal.partners.base import (
    PartnerApiError,
    PartnerAuthError,
    PartnerProtocolError,
    PartnerTransientError,
    PartnerUnknownOutcome,
    Timeouts,
)
from portal.partners.presswise import PressWiseClient
from tests.fixtures.presswise import FAST_TIMEOUTS, sample_order

# Read timeout plus room for a slow machine; a hang must never take longer.
LIMIT = FAST_TIMEOUTS.read + 1.5


def push(presswise):
    started = time.monotonic()
    try:
        presswise.client().push_order(sample_order(), customer_id="42")
    finally:
        elapsed = time.monotonic() - started
        assert elapsed < LIMIT, f"the call took {elapsed:.1f}s"


@pytest.mark.parametrize(
    "kind, error, step, stored",
    [
        ("http500", PartnerTransientError, NextStep.RETRY, False),
        ("code9", PartnerTransientError, NextStep.RETRY, False),
        ("auth", PartnerAuthError, NextStep.PAUSE_ACCOUNT, False),
        ("hang", PartnerUnknownOutcome, NextStep.RECONCILE, False),
        ("close", PartnerUnknownOutcome, NextStep.RECONCILE, False),
        ("store_then_hang", PartnerUnknownOutcome, NextStep.RECONCILE, True),
        ("malformed", PartnerProtocolError, NextStep.RECONCILE, True),
    ],
)
def test_injected_fault_is_classified(presswise, kind, error, step, stored):
    presswise.inject_fault(kind, operation="add_purchase_order", seconds=30)

    with pytest.raises(error) as caught:
        push(presswise)

    assert type(caught.value) is error
    assert caught.value.next_step is step
    assert len(presswise.orders()) == (1 if stored else 0)
    presswise.client().push_order(sample_order(), customer_id="42")  # the fault was for one call only


def test_transient_errors_say_nothing_was_stored_and_unknown_outcomes_say_it_may_have_been():
    assert not issubclass(PartnerTransientError, PartnerUnknownOutcome)
    assert issubclass(PartnerProtocolError, PartnerUnknownOutcome)


def test_store_then_hang_is_reconciled_by_finding_the_order(presswise):
    presswise.inject_fault("store_then_hang", seconds=30)
    with pytest.raises(PartnerUnknownOutcome):
        push(presswise)
    found = presswise.client().find_orders("10001")
    assert [f.partner_order_id for f in found] == [str(presswise.orders()[0]["order"]["id"])]


def test_a_fault_can_be_kept_for_other_operations(presswise):
    presswise.inject_fault("code9", count=2, operation="find_orders")
    client = presswise.client()
    client.push_order(sample_order(), customer_id="42")
    for _ in range(2):
        with pytest.raises(PartnerTransientError):
            client.find_orders("10001")
    assert len(client.find_orders("10001")) == 1


def test_a_fraction_of_calls_fail(presswise):
    presswise.inject_fault("http500", fraction=0.5)
    client = presswise.client()
    outcomes = []
    for _ in range(60):
        try:
            client.find_orders("x")
            outcomes.append("ok")
        except PartnerTransientError:
            outcomes.append("fault")
    assert 10 <= outcomes.count("fault") <= 50


def test_refused_connection_is_transient():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = PressWiseClient(_account(f"http://127.0.0.1:{port}/r/wsdl-order2.php"), FAST_TIMEOUTS)
    with pytest.raises(PartnerTransientError, match="Connection refused"):
        client.push_order(sample_order(), customer_id="42")


def test_connect_timeout_is_transient():
    """A listener whose accept queue is full never completes the handshake: nothing can have been sent."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = []
    try:
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(listener.getsockname())
            fillers.append(filler)
        time.sleep(0.1)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/r/wsdl-order2.php"
        client = PressWiseClient(_account(url), Timeouts(connect=0.5, read=5))
        started = time.monotonic()
        with pytest.raises(PartnerTransientError):
            client.push_order(sample_order(), customer_id="42")
        assert time.monotonic() - started < 3
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def test_latency_within_the_read_timeout_is_no_error(presswise):
    presswise.set_latency(200, jitter_ms=50)
    started = time.monotonic()
    presswise.client().test_connection()
    assert 0.2 <= time.monotonic() - started < FAST_TIMEOUTS.read


def test_latency_beyond_the_read_timeout_is_an_unknown_outcome(presswise):
    presswise.set_latency(FAST_TIMEOUTS.read * 1000 + 500)
    with pytest.raises(PartnerUnknownOutcome):
        push(presswise)


def test_http_500_without_a_fault_body_is_transient_and_a_404_is_an_api_error(presswise):
    presswise.inject_fault("respond", body="<html>Bad gateway</html>", http_status=502)
    with pytest.raises(PartnerTransientError, match="HTTP 502"):
        push(presswise)
    presswise.inject_fault("respond", body="Not found", http_status=404)
    with pytest.raises(PartnerApiError) as caught:
        push(presswise)
    assert caught.value.next_step is NextStep.STOP


def test_wrong_url_path_on_the_emulator_is_an_api_error(presswise):
    client = PressWiseClient(presswise.account_with(url=presswise.base_url + "/r/nothing.php"), FAST_TIMEOUTS)
    with pytest.raises(PartnerApiError):
        client.test_connection()


def test_api_error_keeps_code_and_text_and_never_the_secrets(presswise):
    presswise.inject_fault("respond", body=_result_body(7, "customer 42 is closed, pass demo-secret code DEMO-AUTH"))
    with pytest.raises(PartnerApiError) as caught:
        push(presswise)
    assert caught.value.code == 7
    assert "customer 42 is closed" in caught.value.text
    assert "demo-secret" not in str(caught.value) and "DEMO-AUTH" not in str(caught.value)
    assert "demo-secret" not in repr(presswise.client()) and "demo-secret" not in repr(presswise.account)


def _result_body(code: int, text: str) -> str:
    return (
        '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body>'
        f"<add_purchase_orderResponse><result><status><code>{code}</code><text>{text}</text></status></result>"
        "</add_purchase_orderResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>"
    )


def _account(url: str):
    from portal.partners.base import AccountSettings

    return AccountSettings(url=url, username="demo", password="demo-secret", authorization_code="DEMO-AUTH")
