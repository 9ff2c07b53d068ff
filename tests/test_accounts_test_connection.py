"""Test connection: a real worker signs in to the real PressWise emulator over HTTP, and the
account page's panel polls until the answer is in: OK, wrong credentials (which pause the
account until Resume), or unreachable with the reason, within the call's deadline. The web
request itself never calls the partner.
"""

from __future__ import annotations

import socket
import time

import pytest

from portal.extensions import db
from tests import embedded_factories, factories
from portal.integration.connection import check_connection, latest_connection_test
from tests.conftest import soup, wait_for_connection_test


@pytest.fixture
def authorized(logged_in, subscriber, rq_worker):
    embedded_factories.authorize(subscriber)
    db.session.commit()
    return logged_in


def _emulator_account(subscriber, presswise, **changes):
    settings = presswise.account_with(**changes)
    account = embedded_factories.account(
        subscriber, name="Emulator", url=settings.url, username=settings.username,
        password=settings.password, authorization_code=settings.authorization_code)
    db.session.commit()
    return account


def _test(client, account):
    fragment = wait_for_connection_test(client, account)
    assert fragment.find("html") is None, "HTMX gets a fragment, not a page"
    return fragment


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_ok_records_the_successful_call(authorized, subscriber, presswise):
    account = _emulator_account(subscriber, presswise)
    fragment = _test(authorized, account)
    result = fragment.select_one(".connection-result")
    assert "outcome-ok" in result["class"] and "Connection OK" in result.get_text()
    assert [c["result_code"] for c in presswise.calls()] == [0], "one authenticated call reached the emulator"
    assert account.last_success_at is not None and account.paused_at is None
    status = fragment.select_one("#account-status")
    assert status["hx-swap-oob"] == "true"
    assert status.select_one(".health-ok") is not None


def test_wrong_credentials_pause_the_account_until_resume(authorized, subscriber, presswise):
    account = _emulator_account(subscriber, presswise, password="not-the-password")
    fragment = _test(authorized, account)
    result = fragment.select_one(".connection-result")
    assert "outcome-wrong_credentials" in result["class"]
    assert "refused the credentials" in result.get_text()
    assert account.paused_at is not None
    assert "refused the credentials" in account.paused_reason
    assert account.last_error_at is not None and "refused the credentials" in account.last_error
    assert fragment.select_one("#account-status .paused-reason") is not None

    # Shown on the account page and on the site tab, each with Resume.
    site = factories.site(subscriber, name="Main store")
    embedded_factories.site_link(account, site)
    db.session.commit()
    page = soup(authorized.get(f"/embedded-services/{account.id}"))
    assert "refused the credentials" in page.select_one(".paused-reason").get_text()
    tab = soup(authorized.get(f"/embedded-services/sites/{site.id}"))
    assert "refused the credentials" in tab.select_one(".account-paused").get_text()
    listing = soup(authorized.get("/embedded-services/"))
    assert listing.select_one(f"#account-{account.id} .health-paused") is not None

    resumed = authorized.htmx("post", f"/embedded-services/{account.id}/resume")
    assert resumed.status_code == 200
    assert soup(resumed).select_one("#account-status .resume") is None
    db.session.expire_all()
    assert account.paused_at is None and account.paused_reason is None


def test_resume_from_the_site_tab(authorized, subscriber, presswise):
    account = _emulator_account(subscriber, presswise, authorization_code="WRONG")
    site = factories.site(subscriber, name="Main store")
    link = embedded_factories.site_link(account, site)
    db.session.commit()
    _test(authorized, account)
    assert account.is_paused
    response = authorized.htmx("post", f"/embedded-services/sites/{site.id}/links/{link.id}/resume")
    card = soup(response).select_one(f"#site-link-{link.id}")
    assert card is not None and card.select_one(".account-paused") is None
    db.session.expire_all()
    assert not account.is_paused


def test_unreachable_host_reports_the_reason(authorized, subscriber):
    account = embedded_factories.account(subscriber, url=f"http://127.0.0.1:{_free_port()}/r/wsdl-order2.php")
    db.session.commit()
    fragment = _test(authorized, account)
    result = fragment.select_one(".connection-result")
    assert "outcome-unreachable" in result["class"]
    text = " ".join(result.get_text().split())
    assert text.startswith("Unreachable. Cannot connect to PressWise:") and "refused" in text.lower()
    assert text.count("PressWise") == 1, f"the reason reads once: {text!r}"
    assert account.last_error and account.paused_at is None, "an outage alone does not pause on a test"


def test_a_partner_that_does_not_answer_is_reported_within_the_deadline(app, authorized, subscriber, presswise):
    account = _emulator_account(subscriber, presswise)
    presswise.inject_fault("hang", seconds=30)
    started = time.monotonic()
    fragment = _test(authorized, account)
    elapsed = time.monotonic() - started
    deadline = app.config["PARTNER_CONNECT_TIMEOUT"] + app.config["PARTNER_READ_TIMEOUT"]
    assert elapsed < deadline + 4, f"took {elapsed:.1f}s with a {deadline:.0f}s call deadline"
    result = fragment.select_one(".connection-result")
    assert "outcome-unreachable" in result["class"]
    assert "did not answer" in result.get_text()


def test_without_javascript_the_account_page_shows_the_answer_once_the_worker_has_it(authorized, subscriber,
                                                                                     presswise):
    account = _emulator_account(subscriber, presswise)
    response = authorized.post(f"/embedded-services/{account.id}/test")
    assert response.status_code == 302
    page = soup(authorized.get(response.headers["Location"]))
    assert "Testing the connection" in page.select_one(".flash-info").get_text()
    deadline = time.monotonic() + 30
    while page.select_one("#connection-result .connection-result") is None and time.monotonic() < deadline:
        time.sleep(0.1)
        page = soup(authorized.get(f"/embedded-services/{account.id}"))
    assert "Connection OK" in page.select_one("#connection-result .connection-result").get_text()


def test_a_second_click_while_a_test_runs_starts_no_second_test(authorized, subscriber, presswise):
    account = _emulator_account(subscriber, presswise)
    presswise.set_latency(1500)
    first = soup(authorized.htmx("post", f"/embedded-services/{account.id}/test"))
    running = latest_connection_test(account.id)
    second = soup(authorized.htmx("post", f"/embedded-services/{account.id}/test"))
    assert first.select_one("#connection-result[hx-get]") is not None, "the first click starts a polling panel"
    assert second.select_one("#connection-result[hx-get]") is not None, "the second shows the running one"
    assert latest_connection_test(account.id).job_id == running.job_id, "no second job was started"
    fragment = second
    deadline = time.monotonic() + 30
    while fragment.select_one("#connection-result[hx-get]") is not None and time.monotonic() < deadline:
        time.sleep(0.1)
        fragment = soup(authorized.htmx("get", f"/embedded-services/{account.id}/test"))
    assert "Connection OK" in fragment.select_one(".connection-result").get_text()
    assert len(presswise.calls()) == 1, "one test reached the partner"


def test_the_web_request_only_enqueues(app, monkeypatch, logged_in, subscriber, presswise):
    """On queues no worker serves, pressing the button answers at once, and nobody calls the partner."""
    from rq import Queue

    embedded_factories.authorize(subscriber)
    account = _emulator_account(subscriber, presswise)
    idle = {kind: Queue(f"{queue.name}-idle", connection=queue.connection)
            for kind, queue in app.extensions["rq_queues"].items()}
    monkeypatch.setitem(app.extensions, "rq_queues", idle)
    try:
        response = logged_in.htmx("post", f"/embedded-services/{account.id}/test")
        assert response.status_code == 200
        assert "Testing the connection" in soup(response).select_one(".connection-running").get_text()
        assert idle["default"].count == 1, "the test waits in the queue for a worker"
        assert presswise.calls() == [], "the web request did not call the partner"
    finally:
        idle["default"].empty()


def test_a_queue_that_does_not_answer_is_said_in_the_panel(app, monkeypatch, logged_in, subscriber, presswise,
                                                           tmp_path):
    from redis import Redis
    from rq import Queue

    embedded_factories.authorize(subscriber)
    account = _emulator_account(subscriber, presswise)
    dead = Redis.from_url(f"unix://{tmp_path / 'nobody.sock'}", socket_connect_timeout=1)
    monkeypatch.setitem(app.extensions, "redis", dead)
    monkeypatch.setitem(app.extensions, "rq_queues",
                        {kind: Queue(q.name, connection=dead) for kind, q in app.extensions["rq_queues"].items()})
    response = logged_in.htmx("post", f"/embedded-services/{account.id}/test")
    assert response.status_code == 503
    assert "job queue is not answering" in soup(response).select_one(".queue-down").get_text()
    page = logged_in.get(f"/embedded-services/{account.id}")
    assert page.status_code == 200, "the account page still opens without Redis"


def test_a_url_the_rules_now_refuse_is_not_called(app, subscriber, presswise):
    account = _emulator_account(subscriber, presswise)
    app.config.update(PARTNER_URL_REQUIRE_HTTPS=True, PARTNER_URL_ALLOWED_HOSTS=[])
    outcome = check_connection(account)
    assert "will not call this URL" in outcome.message
    assert presswise.calls() == []


def test_a_host_that_rebinds_to_loopback_after_the_check_is_not_called(monkeypatch, app, subscriber, presswise):
    """DNS rebinding: a public address when the URL is checked, 127.0.0.1 when the client connects."""
    port = int(presswise.base_url.rsplit(":", 1)[1])
    real_getaddrinfo = socket.getaddrinfo
    answers = iter(["93.184.215.14"])  # the first lookup (the URL check) gets a public address

    def rebinding_dns(host, *args, **kwargs):
        if host != "rebind.example":
            return real_getaddrinfo(host, *args, **kwargs)
        ip = next(answers, "127.0.0.1")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
    account = embedded_factories.account(subscriber, url=f"http://rebind.example:{port}/r/wsdl-order2.php",
                                         username="demo", password="demo-secret", authorization_code="DEMO-AUTH")
    db.session.commit()

    text = check_connection(account).message  # in this process, where the DNS answers are faked

    assert next(answers, None) is None, "the URL check saw the public address"
    assert "will not connect to 127.0.0.1 for rebind.example" in text
    assert presswise.calls() == [], "nothing reached the loopback service"
    assert account.last_error and "127.0.0.1" in account.last_error


def test_a_404_reads_as_a_wrong_address_not_a_refusal(authorized, subscriber, presswise):
    """A URL without the SOAP path (``http://host:port/``): the server answers 404, which is a wrong
    address. It used to read "Refused by the partner ... HTTP 404"."""
    account = _emulator_account(subscriber, presswise, url=f"{presswise.base_url}/")
    fragment = _test(authorized, account)
    result = fragment.select_one(".connection-result")
    text = " ".join(result.get_text().split())
    assert "outcome-wrong_address" in result["class"]
    assert text.startswith("Wrong address. No PressWise service at this address: check the URL"), text
    assert "refused" not in text.lower()
    assert account.last_error.startswith("No PressWise service at this address")
    assert not account.is_paused, "a wrong address is no reason to pause: saving the right URL fixes it"
