"""Every response forbids framing (clickjacking), MIME sniffing and cross-site referrers; no page
or fragment may be stored by a cache; production insists on HTTPS (HSTS).

The Content-Security-Policy itself is tests/test_content_security_policy.py.
"""

from __future__ import annotations

import pytest

from portal import create_app, security
from portal.extensions import db
from portal.security import SECURITY_HEADERS
from portal.settings import load_settings
from tests import factories

EXPECTED = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; "
                               "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
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


def _tenant_answers(logged_in, subscriber):
    """Pages, fragments, a redirect, a refused form and errors of a signed-in subscriber admin."""
    site = factories.site(subscriber)
    order = factories.order(site, user=factories.site_user(site), items=[{"approval": "pending"}])
    db.session.commit()
    return {
        "orders page": logged_in.get("/orders/"),
        "orders fragment": logged_in.htmx("get", "/orders/", headers={"HX-Target": "orders-list"}),
        "order page": logged_in.get(f"/orders/{order.id}"),
        "item row fragment": logged_in.htmx("post", f"/orders/{order.id}/items/{order.items[0].id}/approval",
                                            data={"decision": "approve"}),
        "sites page": logged_in.get("/sites/"),
        "site page": logged_in.get(f"/sites/{site.id}"),
        "site users page": logged_in.get("/users/"),
        "site user page": logged_in.get(f"/users/{order.site_user_id}"),
        "payment form refused": logged_in.post(f"/orders/{order.id}/payment", data={"method": "", "reference": ""}),
        "another tenant's order": logged_in.get("/orders/999999"),
        "error fragment": logged_in.htmx("get", "/orders/999999"),
        "home redirect": logged_in.get("/"),
    }


def test_pages_and_fragments_with_tenant_data_are_never_stored(logged_in, subscriber):
    answers = _tenant_answers(logged_in, subscriber)
    assert answers["orders page"].status_code == 200 and answers["item row fragment"].status_code == 200
    assert "<html" not in answers["orders fragment"].text and "<html" not in answers["item row fragment"].text
    stored = {name: response.headers.get("Cache-Control") for name, response in answers.items()
              if response.headers.get("Cache-Control") != "no-store"}
    assert not stored, stored


def test_the_staff_pages_and_the_sign_in_page_are_never_stored(app, staff_client):
    for url in ("/staff/", "/staff/status"):
        assert staff_client.get(url).headers["Cache-Control"] == "no-store", url
    signed_out = app.test_client()
    assert signed_out.get("/auth/login").headers["Cache-Control"] == "no-store"  # it carries a CSRF token


def test_static_files_keep_their_own_caching(client):
    response = client.get("/static/style.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


def _production_env(monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("PORTAL_ENCRYPTION_KEYS", "a" * 43 + "=")
    monkeypatch.setenv("DATABASE_URL", "postgresql://portal@db.internal/portal")


def test_production_asks_browsers_for_https_only(monkeypatch, tmp_path):
    _production_env(monkeypatch)
    hsts = load_settings({"INSTANCE_PATH": str(tmp_path)})["STRICT_TRANSPORT_SECURITY"]
    max_age = int(hsts.split("max-age=")[1].split(";")[0])
    assert max_age >= 180 * 24 * 60 * 60


def test_development_never_sends_hsts(client, tmp_path, monkeypatch):
    """It would pin localhost to HTTPS in the developer's browser for a year."""
    monkeypatch.setenv("PORTAL_ENV", "dev")
    assert load_settings({"INSTANCE_PATH": str(tmp_path)})["STRICT_TRANSPORT_SECURITY"] is None
    for url in ("/auth/login", "/static/app.js"):
        assert "Strict-Transport-Security" not in client.get(url).headers, url


def test_with_hsts_configured_every_answer_carries_it(migrated_database, admin):
    app = create_app({"SERVER_NAME": "portal.test", "STRICT_TRANSPORT_SECURITY": "max-age=31536000"})
    client = app.test_client()
    try:
        for url in ("/auth/login", "/orders/", "/no-such-page", "/static/app.js"):
            assert client.get(url).headers.get("Strict-Transport-Security") == "max-age=31536000", url
    finally:
        with app.app_context():
            db.engine.dispose()
