"""Embedded Services pages inside the orders and site users areas are absent before the CSRF check.

Found by the security matrix (tests/test_security_matrix.py): an admin whose subscriber staff
have not authorized got 400 (the CSRF page) from Push Order without a token, while an unknown
URL answers 404, so the route could be told apart from one that does not exist. The
Embedded Services check ran in the view, after the CSRF check; portal.security now names
these endpoints' guard, which runs before it.
"""

from __future__ import annotations

import re

import pytest

from portal import security
from portal.extensions import db
from tests.everything import one_of_everything


@pytest.fixture
def withdrawn(app):
    """A subscriber that used Embedded Services (an account, a push row) until staff withdrew it."""
    everything = one_of_everything("Withdrawn Print", embedded_services=False)
    db.session.commit()
    client = app.test_client()
    client.login(everything.admin)
    return everything, client


def _without_csrf_token(page: str) -> str:
    return re.sub(r'(name="csrf-token" content=)"[^"]*"', r'\1""', page)


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_push_order_without_a_token_is_404_like_with_one(withdrawn, htmx):
    everything, client = withdrawn
    headers = {"HX-Request": "true"} if htmx else {}
    url = f"/orders/{everything.order.id}/embedded-services/{everything.account.id}/push"
    without = client.post(url, csrf=False, headers=headers)
    with_token = client.post(url, headers=headers)
    assert without.status_code == 404
    assert (without.status_code, _without_csrf_token(without.text)) == (
        with_token.status_code, _without_csrf_token(with_token.text))


def test_with_a_token_it_is_still_404_and_nothing_is_queued(withdrawn):
    everything, client = withdrawn
    response = client.post(f"/orders/{everything.order.id}/embedded-services/{everything.account.id}/push",
                           data={"confirm": "yes"})
    assert response.status_code == 404
    db.session.expire_all()
    assert everything.order_integration.state == "failed" and everything.order_integration.attempt_count == 0


def test_the_list_names_real_endpoints_of_the_orders_and_users_areas(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert security.EMBEDDED_SERVICES_ENDPOINTS <= endpoints
    assert {endpoint.split(".")[0] for endpoint in security.EMBEDDED_SERVICES_ENDPOINTS} == {"orders", "users"}
