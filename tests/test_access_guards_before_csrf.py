"""A POST answers "who are you" before "where is your token", so a missing token leaks no route.

Every POST route is read from the URL map: without access it answers 404 (or the sign-in
redirect for nobody signed in), exactly like an unknown URL, token or not; with access and
without a token it answers 400 with the CSRF error page. A new blueprint must name its guard
in ``portal.security.access_guards()``.
"""

from __future__ import annotations

import re

import pytest

from portal.extensions import db
from portal.security import access_guards
from tests import embedded_factories, factories

CSRF_MESSAGE = "The form expired or was sent from another page."
CSRF_HTMX_MESSAGE = "This page is out of date. Reload it and try again."  # shown in the page's error box

# Which visitor may use each blueprint (or single endpoint, which wins); the others must get 404.
SIGNED_IN = {"admin", "authorized_admin", "staff"}
ALLOWED = {"auth.login": {"anonymous"} | SIGNED_IN, "auth": SIGNED_IN, "sites": {"admin", "authorized_admin"},
           "users": {"admin", "authorized_admin"}, "orders": {"admin", "authorized_admin"},
           "accounts": {"authorized_admin"}, "staff": {"staff"},
           # Embedded Services inside the orders area: absent without staff authorization (portal.security)
           "orders.push": {"authorized_admin"}}


@pytest.fixture
def visitors(app, admin, staff_user):
    """Nobody, an admin without Embedded Services, an admin with it, and platform staff."""
    authorized = factories.subscriber(name="Authorized Print")
    embedded_factories.authorize(authorized)
    authorized_admin = factories.admin(authorized, email="admin@authorized.example")
    db.session.commit()
    clients = {name: app.test_client() for name in ("anonymous", "admin", "authorized_admin", "staff")}
    for name, user in (("admin", admin), ("authorized_admin", authorized_admin), ("staff", staff_user)):
        with app.app_context():  # see _post()
            clients[name].login(user)
    return clients


def _post(app, client, url, **kwargs):
    """POST in a fresh app context: Flask-Login caches the user in ``g``, which the ``app``
    fixture's context would otherwise share between these clients."""
    with app.app_context():
        return client.post(url, **kwargs)


def _post_urls(app):
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods:
            # Guards answer before any lookup, so ID 1 (existing or not) is as good as any.
            values = {argument: 1 for argument in rule.arguments}
            who_may = rule.endpoint if rule.endpoint in ALLOWED else rule.endpoint.split(".")[0]
            yield who_may, rule.build(values, append_unknown=False)[1]


def test_every_blueprint_names_its_access_guard(app):
    assert set(app.blueprints) <= set(access_guards()), "add the new blueprint to portal.security.access_guards()"
    assert set(app.blueprints) <= set(ALLOWED), "teach this test who may use the new blueprint"


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_post_without_a_token_meets_the_access_guard_first(app, visitors, htmx):
    urls = list(_post_urls(app))
    assert len(urls) >= 15, urls
    headers = {"HX-Request": "true"} if htmx else {}
    csrf_message = CSRF_HTMX_MESSAGE if htmx else CSRF_MESSAGE
    wrong = []
    for who_may, url in urls:
        for who, client in visitors.items():
            response = _post(app, client, url, csrf=False, headers=headers)
            if who in ALLOWED[who_may]:
                ok = response.status_code == 400 and csrf_message in response.text
            elif who == "anonymous" and htmx:  # HTMX loads the sign-in page as a whole page
                ok = response.status_code == 401 and "/auth/login" in response.headers["HX-Redirect"]
            elif who == "anonymous":
                ok = response.status_code == 302 and "/auth/login" in response.headers["Location"]
            else:
                ok = response.status_code == 404 and csrf_message not in response.text
            if not ok:
                wrong.append((who, url, response.status_code))
    assert not wrong, f"unexpected answers to a POST without a CSRF token: {wrong}"


def test_without_access_a_real_route_looks_like_an_unknown_one(app, visitors):
    admin = visitors["admin"]
    unknown = _post(app, admin, "/embedded-services/1/no-such-action", csrf=False)
    for url in ("/embedded-services/1/test", "/staff/subscribers/1/authorize", "/staff/status/ping"):
        response = _post(app, admin, url, csrf=False)
        assert (response.status_code, _without_csrf_token(response.text)) == (
            unknown.status_code, _without_csrf_token(unknown.text)), url


def _without_csrf_token(page: str) -> str:
    """The signed token in the page's meta tag carries a timestamp: two pages a second apart differ there."""
    return re.sub(r'(name="csrf-token" content=)"[^"]*"', r'\1""', page)


def test_a_token_is_still_required_once_access_is_granted(app, visitors, subscriber):
    site = factories.site(subscriber)
    order = factories.order(site)
    db.session.commit()
    admin = visitors["admin"]
    without = _post(app, admin, f"/orders/{order.id}/payment", data={"method": "check", "reference": "1"}, csrf=False)
    assert without.status_code == 400
    assert not db.session.get(type(order), order.id).is_paid
    with_token = _post(app, admin, f"/orders/{order.id}/payment", data={"method": "check", "reference": "1"})
    assert with_token.status_code == 302
