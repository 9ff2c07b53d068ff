"""Signing out, a new password and deactivation end every session of the user on the server.

The cookies a browser drops at sign-out are not the only copies: a session or remember-me
cookie copied before (another device, a stolen backup, a proxy log) is replayed here in a
new client, and must lead to the sign-in page. Each test first shows that the copy does
open pages while the session lasts, so it fails for the right reason.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import update

from portal.extensions import db
from portal.models import AdminUser
from tests import factories
from tests.conftest import soup

HOST = "portal.test"  # the app fixture's SERVER_NAME: the test client keeps cookies per domain


def request(app, client, method, url, **kwargs):
    """One request in a fresh app context, so nothing of another client's request is reused."""
    with app.app_context():
        return client.open(url, method=method, **kwargs)


def sign_in(app, client, user, remember=False):
    data = {"email": user.email, "password": factories.PASSWORD}
    if remember:
        data["remember"] = "y"
    response = request(app, client, "POST", "/auth/login", data=data)
    assert response.status_code == 302, response.text
    return response


def copied(client, *names) -> dict[str, str]:
    """The values of the named cookies, as an attacker would copy them."""
    values = {}
    for name in names:
        cookie = client.get_cookie(name, domain=HOST)
        assert cookie is not None, f"{name} was not set"
        values[name] = cookie.value
    return values


def replay(app, cookies: dict[str, str]):
    """A new client (another browser) holding only these cookies."""
    browser = app.test_client()
    for name, value in cookies.items():
        browser.set_cookie(name, value, domain=HOST)
    return browser


def opens_orders(app, client) -> bool:
    response = request(app, client, "GET", "/orders/")
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/auth/login", (
        response.status_code, response.headers.get("Location"))
    return False


def sees_the_sign_in_page(app, client) -> bool:
    response = request(app, client, "GET", "/orders/", follow_redirects=True)
    return response.request.path == "/auth/login" and soup(response).select_one("h1").text == "Sign in"


@pytest.mark.parametrize("cookie", ["session", "remember_token"])
def test_a_cookie_copied_before_sign_out_no_longer_opens_pages(app, client, admin, cookie):
    sign_in(app, client, admin, remember=True)
    stolen = copied(client, cookie)
    assert opens_orders(app, replay(app, stolen)), "the copy works while the session lasts"

    assert request(app, client, "POST", "/auth/logout").status_code == 302

    assert not opens_orders(app, replay(app, stolen))
    assert sees_the_sign_in_page(app, replay(app, stolen))


def test_a_copied_session_asking_with_htmx_is_sent_to_sign_in(app, client, admin):
    sign_in(app, client, admin)
    stolen = copied(client, "session")
    request(app, client, "POST", "/auth/logout")

    response = request(app, replay(app, stolen), "GET", "/orders/", headers={"HX-Request": "true"})

    assert response.status_code == 401
    assert urlsplit(response.headers["HX-Redirect"]).path == "/auth/login"


def test_signing_out_on_one_device_signs_out_the_others(app, admin):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(app, laptop, admin)
    sign_in(app, phone, admin, remember=True)

    request(app, laptop, "POST", "/auth/logout")

    assert not opens_orders(app, phone)


def test_signing_out_leaves_other_users_signed_in(app, client, admin, other_tenant):
    rival = app.test_client()
    sign_in(app, rival, other_tenant["admin"])
    sign_in(app, client, admin)

    request(app, client, "POST", "/auth/logout")

    assert opens_orders(app, rival)


def test_signing_in_again_after_sign_out_works(app, client, admin):
    sign_in(app, client, admin)
    request(app, client, "POST", "/auth/logout")

    sign_in(app, client, admin)

    assert opens_orders(app, client)


@pytest.mark.parametrize("cookie", ["session", "remember_token"])
def test_deactivation_ends_every_session(app, client, admin, cookie):
    sign_in(app, client, admin, remember=True)
    stolen = copied(client, cookie)
    assert opens_orders(app, replay(app, stolen))

    admin.active = False
    db.session.commit()

    assert not opens_orders(app, replay(app, stolen))
    assert not opens_orders(app, client)


def test_a_user_deactivated_behind_the_models_back_is_refused_too(app, client, admin):
    """An UPDATE that bypasses the model keeps the token; the loader still refuses an inactive user."""
    sign_in(app, client, admin, remember=True)
    db.session.execute(update(AdminUser).where(AdminUser.id == admin.id).values(active=False))
    db.session.commit()

    assert not opens_orders(app, replay(app, copied(client, "remember_token")))
    assert not opens_orders(app, client)


@pytest.mark.parametrize("cookie", ["session", "remember_token"])
def test_a_new_password_ends_every_session(app, client, admin, cookie):
    sign_in(app, client, admin, remember=True)
    stolen = copied(client, cookie)
    assert opens_orders(app, replay(app, stolen))

    admin.set_password("a brand new passphrase")
    db.session.commit()

    assert not opens_orders(app, replay(app, stolen))
    assert not opens_orders(app, client)


def test_end_all_sessions_is_sign_out_everywhere(app, client, admin):
    sign_in(app, client, admin, remember=True)

    admin.end_all_sessions()
    db.session.commit()

    assert not opens_orders(app, client)


def test_sessions_carry_a_token_not_the_user_id(app, client, admin):
    """A guessable ID in the session would survive sign-out; the token is replaced instead."""
    sign_in(app, client, admin, remember=True)
    with client.session_transaction() as session:
        carried = session["_user_id"]
    assert carried == admin.session_token
    assert carried != str(admin.id) and len(carried) >= 40
    assert client.get_cookie("remember_token", domain=HOST).value.startswith(admin.session_token + "|")

    request(app, client, "POST", "/auth/logout")
    db.session.refresh(admin)
    assert admin.session_token != carried
