"""A CSRF token seen before sign-in is worthless after it, and every token has a lifetime.

Tokens are read from the pages, as a browser (or someone looking over its shoulder) sees
them, and sent back in the form field instead of the test client's own header.
"""

from __future__ import annotations

import time

from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from portal.extensions import db
from tests import factories
from tests.conftest import soup

CSRF_MESSAGE = "The form expired or was sent from another page."


def request(app, client, method, url, **kwargs):
    """One request in a fresh app context: Flask-WTF caches the request's token in ``g``."""
    with app.app_context():
        return client.open(url, method=method, **kwargs)


def page_token(app, client, url) -> str:
    response = request(app, client, "GET", url)
    assert response.status_code == 200, (url, response.status_code)
    return soup(response).find("meta", {"name": "csrf-token"})["content"]


def record_payment(app, client, order, token):
    return request(app, client, "POST", f"/orders/{order.id}/payment",
                   data={"method": "check", "reference": "1", "csrf_token": token}, csrf=False)


def sign_in(app, client, user, token):
    response = request(app, client, "POST", "/auth/login", csrf=False,
                       data={"email": user.email, "password": factories.PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.text
    return response


def test_the_token_from_the_sign_in_page_is_refused_after_sign_in(app, client, admin, subscriber):
    order = factories.order(factories.site(subscriber))
    db.session.commit()
    before = page_token(app, client, "/auth/login")
    sign_in(app, client, admin, before)

    after = page_token(app, client, "/orders/")
    refused = record_payment(app, client, order, before)

    assert after != before
    assert refused.status_code == 400 and CSRF_MESSAGE in refused.text
    assert record_payment(app, client, order, after).status_code == 302


def test_a_token_from_before_sign_out_does_not_serve_the_next_session(app, client, admin, subscriber):
    order = factories.order(factories.site(subscriber))
    db.session.commit()
    sign_in(app, client, admin, page_token(app, client, "/auth/login"))
    old = page_token(app, client, "/orders/")
    assert request(app, client, "POST", "/auth/logout", csrf=False, data={"csrf_token": old}).status_code == 302

    sign_in(app, client, admin, page_token(app, client, "/auth/login"))

    assert record_payment(app, client, order, old).status_code == 400


def test_tokens_have_a_lifetime_of_hours_not_forever(app):
    limit = app.config["WTF_CSRF_TIME_LIMIT"]
    assert limit is not None and 60 * 60 <= limit <= 24 * 60 * 60


def test_an_expired_token_is_refused_and_a_fresh_one_accepted(app, logged_in, subscriber):
    order = factories.order(factories.site(subscriber))
    db.session.commit()
    page_token(app, logged_in, "/orders/")  # the session's raw token, as a page would make it
    with logged_in.session_transaction() as session:
        raw = session["csrf_token"]
    limit = app.config["WTF_CSRF_TIME_LIMIT"]

    def token_signed_seconds_ago(seconds: int) -> str:
        class Earlier(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(time.time()) - seconds

        return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token", signer=Earlier).dumps(raw)

    expired = record_payment(app, logged_in, order, token_signed_seconds_ago(limit + 60))
    assert expired.status_code == 400 and CSRF_MESSAGE in expired.text
    assert record_payment(app, logged_in, order, token_signed_seconds_ago(limit - 60)).status_code == 302
