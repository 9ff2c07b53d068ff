"""Every response forbids framing (clickjacking), MIME sniffing and cross-site referrers."""

from __future__ import annotations

import pytest

from portal import security
from portal.security import SECURITY_HEADERS
from tests import factories

EXPECTED = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _assert_protected(response):
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (name, response.status_code, response.headers.get(name))


def test_the_policy_is_the_one_reviewed():
    assert SECURITY_HEADERS == EXPECTED


@pytest.mark.parametrize(
    "url", ["/auth/login", "/", "/orders/", "/no-such-page", "/static/app.js", "/static/htmx.min.js"]
)
def test_anonymous_answers_carry_the_headers(client, url):
    response = client.get(url)
    assert response.status_code in (200, 302, 404)
    _assert_protected(response)


def test_signed_in_pages_fragments_and_posts_carry_the_headers(logged_in, subscriber):
    site = factories.site(subscriber)
    order = factories.order(site)
    from portal.extensions import db

    db.session.commit()
    for response in (
        logged_in.get("/orders/"),
        logged_in.htmx("get", "/orders/"),
        logged_in.get(f"/orders/{order.id}"),
        logged_in.get("/staff/"),  # 404 for a subscriber admin
        logged_in.post(f"/orders/{order.id}/payment", data={"method": "", "reference": ""}),  # 422 form
        logged_in.post("/auth/logout", csrf=False),  # CSRF error page
        logged_in.post("/auth/logout"),  # redirect
    ):
        _assert_protected(response)


def _public_route_for_this_test(app, monkeypatch, rule, view):
    """A route anyone may use, on purpose: an endpoint no access table names answers 404."""
    app.add_url_rule(rule, view_func=view)
    monkeypatch.setattr(security, "PUBLIC_ENDPOINTS", security.PUBLIC_ENDPOINTS | {view.__name__})


def test_a_failed_request_carries_the_headers_too(app, client, monkeypatch):
    def broken():
        raise RuntimeError("boom")

    _public_route_for_this_test(app, monkeypatch, "/broken-for-test", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/broken-for-test")
    assert response.status_code == 500
    _assert_protected(response)


def test_a_view_may_choose_its_own_value(app, client, monkeypatch):
    """``setdefault``: a page that must be framed by the portal itself can say SAMEORIGIN."""
    from flask import make_response

    def frameable():
        response = make_response("ok")
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
        return response

    _public_route_for_this_test(app, monkeypatch, "/frameable-for-test", frameable)
    assert client.get("/frameable-for-test").headers["X-Frame-Options"] == "SAMEORIGIN"
