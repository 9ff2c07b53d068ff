"""Failed sign-ins are limited per (e-mail, client address) and per address; unknown e-mails cost the same.

The counters live in the test Redis (the app's REDIS_URL); each test starts and ends without them.
"""

from __future__ import annotations

import logging
import socket
import time

import pytest

from portal import create_app
from portal.auth.throttling import KEY_PREFIX
from portal.extensions import db
from portal.queue import redis_connection
from tests import factories
from tests.conftest import PortalClient, soup

RIGHT = factories.PASSWORD
THROTTLED = "Too many failed sign-ins. Try again in"


@pytest.fixture(autouse=True)
def no_counters(app):
    def forget():
        connection = redis_connection()
        for key in connection.scan_iter(f"{KEY_PREFIX}:*"):
            connection.delete(key)

    forget()
    yield
    forget()


def sign_in(app, client, email, password, address="192.0.2.10"):
    """One sign-in in a fresh app context (Flask-Login caches the user in ``g``, which the
    ``app`` fixture's context would otherwise share), from the given client address."""
    with app.app_context():
        return client.post(
            "/auth/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}
        )


def signed_in(app, client) -> bool:
    with app.app_context():
        return client.get("/orders/").status_code == 200


def test_ten_wrong_passwords_then_even_the_right_one_waits(app, client, admin):
    for _ in range(10):
        assert sign_in(app, client, admin.email, "guess").status_code == 200

    response = sign_in(app, client, admin.email, RIGHT)

    assert response.status_code == 429
    assert soup(response).select_one("#sign-in-throttled").text == "Too many failed sign-ins. Try again in 15 minutes."
    assert 14 * 60 < int(response.headers["Retry-After"]) <= 15 * 60
    assert not signed_in(app, client)
    db.session.refresh(admin)
    assert admin.last_login_at is None


def test_thirty_wrong_then_right_does_not_get_in(app, client, admin):
    """The review's case: guessing on and on, then the right password."""
    answers = [sign_in(app, client, admin.email, f"guess {n}").status_code for n in range(30)]
    assert answers == [200] * 10 + [429] * 20
    assert sign_in(app, client, admin.email, RIGHT).status_code == 429
    assert not signed_in(app, client)


def test_the_limit_counts_the_email_whatever_its_case(app, client, admin):
    for n in range(10):
        sign_in(app, client, admin.email.upper() if n % 2 else admin.email, "guess")
    assert sign_in(app, client, admin.email.title(), RIGHT).status_code == 429


def test_nine_wrong_then_right_signs_in_and_starts_the_count_again(app, client, admin):
    for _ in range(9):
        sign_in(app, client, admin.email, "guess")
    assert sign_in(app, client, admin.email, RIGHT).status_code == 302
    with app.app_context():
        assert client.post("/auth/logout").status_code == 302

    for _ in range(9):
        assert sign_in(app, client, admin.email, "guess").status_code == 200
    assert sign_in(app, client, admin.email, RIGHT).status_code == 302


def test_a_stranger_cannot_lock_an_admin_out(app, client, admin):
    """Wrong passwords from elsewhere refuse the stranger's address, not the admin's."""
    stranger = app.test_client()
    for _ in range(30):
        sign_in(app, stranger, admin.email, "guess", address="203.0.113.66")
    assert sign_in(app, stranger, admin.email, RIGHT, address="203.0.113.66").status_code == 429

    assert sign_in(app, client, admin.email, RIGHT, address="192.0.2.10").status_code == 302


def test_one_colleague_does_not_lock_out_the_office_behind_one_address(app, client, admin, subscriber):
    """Refused attempts are not counted, so one person adds at most 10 failures to the office's 50."""
    colleague = factories.admin(subscriber, email="colleague@acme.example")
    db.session.commit()
    office = "198.51.100.20"
    answers = [sign_in(app, app.test_client(), colleague.email, "forgot it", address=office).status_code
               for _ in range(60)]
    assert answers == [200] * 10 + [429] * 50

    assert sign_in(app, client, admin.email, RIGHT, address=office).status_code == 302


def test_one_address_trying_many_emails_is_limited(app, client, admin):
    app.config["LOGIN_FAILURES_PER_ADDRESS"] = 5
    for n in range(5):
        assert sign_in(app, client, f"nobody{n}@example.com", "guess", address="198.51.100.7").status_code == 200

    refused = sign_in(app, client, admin.email, RIGHT, address="198.51.100.7")
    assert refused.status_code == 429
    assert THROTTLED in refused.text

    other_address = app.test_client()
    assert sign_in(app, other_address, admin.email, RIGHT, address="198.51.100.8").status_code == 302


def test_the_default_address_limit_is_fifty(app, client, admin):
    for n in range(50):
        sign_in(app, client, f"nobody{n % 5}-{n}@example.com", "guess", address="198.51.100.9")
    assert sign_in(app, client, admin.email, RIGHT, address="198.51.100.9").status_code == 429
    assert sign_in(app, client, admin.email, RIGHT, address="198.51.100.10").status_code == 302


def test_the_wait_ends_with_the_window(app, client, admin):
    app.config.update(LOGIN_FAILURES_PER_EMAIL_AT_ADDRESS=2, LOGIN_FAILURE_WINDOW_SECONDS=1)
    sign_in(app, client, admin.email, "guess")
    sign_in(app, client, admin.email, "guess")
    refused = sign_in(app, client, admin.email, RIGHT)
    assert refused.status_code == 429
    assert "Try again in 1 minute." in refused.text

    time.sleep(1.2)
    assert sign_in(app, client, admin.email, RIGHT).status_code == 302


def test_counters_expire_and_hold_no_email_address(app, client, admin):
    sign_in(app, client, admin.email, "guess", address="192.0.2.99")
    connection = redis_connection()
    keys = [key.decode() for key in connection.scan_iter(f"{KEY_PREFIX}:*")]
    assert len(keys) == 2
    assert not any("acme" in key for key in keys)
    assert f"{KEY_PREFIX}:address:192.0.2.99" in keys
    for key in keys:
        assert 0 < connection.ttl(key) <= 15 * 60
        assert connection.get(key) == b"1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_without_redis_sign_in_still_works_and_says_why_it_is_unlimited(admin, caplog):
    """Fail open: an outage of Redis must not lock everybody out (see portal.auth.throttling)."""
    no_redis = create_app({"SERVER_NAME": "portal.test", "REDIS_URL": f"redis://127.0.0.1:{_free_port()}/0"})
    no_redis.test_client_class = PortalClient
    client = no_redis.test_client()
    with caplog.at_level(logging.WARNING, logger="portal.auth.throttling"):
        for _ in range(12):
            assert sign_in(no_redis, client, admin.email, "guess").status_code == 200
        assert sign_in(no_redis, client, admin.email, RIGHT).status_code == 302
    warnings = [r.getMessage() for r in caplog.records if r.name == "portal.auth.throttling"]
    assert warnings and all("Redis did not answer" in w for w in warnings)
    with no_redis.app_context():
        db.engine.dispose()


def test_an_unknown_email_takes_as_long_as_a_wrong_password(app, client, admin):
    """Both paths hash the password, so the answer time does not tell which e-mails exist."""
    admin.set_password(RIGHT)  # the real (slow) method, not the factories' cheap one
    db.session.commit()
    sign_in(app, client, "warm-up@example.com", "guess")

    def timed(email):
        started = time.perf_counter()
        response = sign_in(app, client, email, "guess")
        assert "Wrong e-mail or password." in response.text
        return time.perf_counter() - started

    # Interleaved, and the fastest of each: a busy machine slows single answers, never speeds them up.
    known, unknown = [], []
    for n in range(6):
        known.append(timed(admin.email))
        unknown.append(timed(f"nobody{n}@example.com"))
    assert 1 / 3 < min(unknown) / min(known) < 3, (known, unknown)
