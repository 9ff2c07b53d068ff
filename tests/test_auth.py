"""Signing in and out, bad passwords, and the ``next`` parameter."""

from urllib.parse import urlsplit

import pytest

from portal.auth.views import safe_next_url
from tests.conftest import soup


def test_login_page_renders(client):
    response = client.get("/auth/login")
    assert response.status_code == 200
    page = soup(response)
    assert page.find("input", {"name": "email"})
    assert page.find("meta", {"name": "csrf-token"})["content"]


def test_login_and_logout(client, admin):
    response = client.post("/auth/login", data={"email": "ADMIN@acme.example", "password": "correct horse battery staple"})
    assert response.status_code == 302
    assert client.get("/orders/").status_code == 200
    response = client.post("/auth/logout")
    assert response.status_code == 302
    assert client.get("/orders/").status_code == 302


def test_wrong_password_shows_field_error(client, admin):
    response = client.post("/auth/login", data={"email": admin.email, "password": "nope"})
    assert response.status_code == 200
    assert "Wrong e-mail or password." in soup(response).select_one(".error").text
    assert client.get("/orders/").status_code == 302


def test_unknown_email_gets_the_same_error(client, admin):
    response = client.post("/auth/login", data={"email": "who@example.com", "password": "nope"})
    assert "Wrong e-mail or password." in response.text


def test_inactive_user_cannot_sign_in(client, admin):
    from portal.extensions import db

    admin.active = False
    db.session.commit()
    response = client.post("/auth/login", data={"email": admin.email, "password": "correct horse battery staple"})
    assert response.status_code == 200


def test_malformed_login_gives_field_errors(client):
    response = client.post("/auth/login", data={"email": "not-an-email", "password": ""})
    assert response.status_code == 200
    errors = [e.text for e in soup(response).select(".error")]
    assert errors


def test_login_requires_csrf(client, admin):
    response = client.post("/auth/login", data={"email": admin.email, "password": "x"}, csrf=False)
    assert response.status_code == 400


def test_logout_is_post_only(logged_in):
    assert logged_in.get("/auth/logout").status_code == 405


def test_next_is_followed_when_local(client, admin):
    response = client.post(
        "/auth/login?next=/sites/",
        data={"email": admin.email, "password": "correct horse battery staple"},
    )
    assert response.headers["Location"].endswith("/sites/")


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example", "javascript:alert(1)",
     "http:/evil.example", " //evil.example", "/\r\nLocation: https://evil.example"],
)
def test_next_refuses_other_sites(client, admin, target):
    response = client.post(
        "/auth/login", query_string={"next": target},
        data={"email": admin.email, "password": "correct horse battery staple"},
    )
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.netloc in ("", "portal.test")
    assert location.path == "/"


def test_safe_next_url_accepts_paths_only():
    assert safe_next_url("/orders/?page=2") == "/orders/?page=2"
    assert safe_next_url("orders") is None
    assert safe_next_url("") is None


def test_session_cookie_is_httponly_and_samesite(client, admin):
    response = client.post("/auth/login", data={"email": admin.email, "password": "correct horse battery staple"})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_staff_land_on_staff_pages_and_admins_do_not(staff_client):
    assert staff_client.get("/").headers["Location"].endswith("/staff/")
    assert staff_client.get("/orders/").status_code == 404


def test_admins_get_404_on_staff_pages(logged_in):
    assert logged_in.get("/staff/").status_code == 404
    assert logged_in.get("/staff/status").status_code == 404


@pytest.mark.parametrize("email", ["admin@acme.example\x00", "ad\x00min@acme.example", "\x00", "²@acme.example"])
def test_control_characters_in_the_email_are_not_a_server_error(client, admin, email):
    """PostgreSQL refuses NUL in a query parameter; the form drops control characters first."""
    response = client.post("/auth/login", data={"email": email, "password": "correct horse battery staple"})
    assert response.status_code in (200, 302)


def _next_of(response):
    from urllib.parse import parse_qs

    location = urlsplit(response.headers["Location"])
    assert location.path == "/auth/login"
    return parse_qs(location.query).get("next", [None])[0]


def test_a_post_after_the_session_ended_comes_back_to_the_page_it_was_sent_from(client, admin):
    """``next`` is for a GET after sign-in: the POST-only action itself would answer 405."""
    response = client.post("/orders/5/items/10/approval", data={"decision": "approve"},
                           headers={"Referer": "http://portal.test/orders/5?tab=items"})

    assert _next_of(response) == "/orders/5?tab=items"
    signed_in = client.post(response.headers["Location"], data={"email": admin.email,
                                                                "password": "correct horse battery staple"})
    assert signed_in.headers["Location"] == "/orders/5?tab=items"


@pytest.mark.parametrize("headers", [{}, {"Referer": "https://evil.example/orders/5"}, {"Referer": "not a url"},
                                     {"Referer": "http://portal.test//evil.example/"}])
def test_a_post_without_a_same_site_referer_gets_no_next(client, headers):
    response = client.post("/orders/5/items/10/approval", data={"decision": "approve"}, headers=headers)

    assert _next_of(response) is None


def test_a_get_still_comes_back_to_itself(client):
    response = client.get("/orders/?page=2", headers={"Referer": "http://portal.test/sites/"})

    assert _next_of(response) == "/orders/?page=2"


def test_keep_me_signed_in_outlasts_the_browser_session(app, client, admin):
    """Only the remember-me cookie is left after the browser closes; it must keep working, page after page."""
    client.post("/auth/login", data={"email": admin.email, "password": "correct horse battery staple", "remember": "y"})
    reopened = app.test_client()
    reopened.set_cookie("remember_token", client.get_cookie("remember_token", domain="portal.test").value,
                        domain="portal.test")

    assert [reopened.get("/orders/").status_code for _ in range(3)] == [200, 200, 200]


def test_the_remember_me_cookie_is_refused_to_another_browser(app, client, admin):
    """Strong session protection: a session restored from the cookie is tied to this browser."""
    client.post("/auth/login", data={"email": admin.email, "password": "correct horse battery staple", "remember": "y"})
    reopened = app.test_client()
    reopened.set_cookie("remember_token", client.get_cookie("remember_token", domain="portal.test").value,
                        domain="portal.test")
    assert reopened.get("/orders/", headers={"User-Agent": "Firefox"}).status_code == 200

    assert reopened.get("/orders/", headers={"User-Agent": "Chrome"}).status_code == 302
