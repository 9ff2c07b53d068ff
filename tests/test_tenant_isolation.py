"""Every route with an object ID answers 404 to another tenant, for every method it accepts.

The routes are read from the URL map, so a new route is covered the day it is added;
a route whose ID argument this module does not know fails the test until it is taught.
"""

from __future__ import annotations

import pytest

from portal.extensions import db
from tests.conftest import soup

TENANT_BLUEPRINTS = {"sites", "users", "orders", "accounts"}


def _other_tenant_ids(other) -> dict[str, int]:
    ids = {
        "site_id": other["site"].id,
        "site_user_id": other["site_user"].id,
        "order_id": other["order"].id,
        "item_id": other["item"].id,
    }
    ids.update({name: obj.id for name, obj in other.get("embedded", {}).items()})
    return ids


@pytest.fixture
def other_tenant_everything(other_tenant, subscriber):
    """The other tenant's objects, and Embedded Services authorized on both sides where it exists."""
    from tests import embedded_factories

    other_tenant["embedded"] = embedded_factories.tenant_objects(other_tenant)
    embedded_factories.authorize(subscriber)
    db.session.commit()
    return other_tenant


def _routes(app):
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.split(".")[0]
        if blueprint in TENANT_BLUEPRINTS and rule.arguments:
            yield rule


def test_every_tenant_route_with_ids_is_covered(app, logged_in, other_tenant_everything):
    ids = _other_tenant_ids(other_tenant_everything)
    routes = list(_routes(app))
    assert routes, "no tenant routes with IDs found"
    unknown = {arg for rule in routes for arg in rule.arguments if arg not in ids}
    assert not unknown, f"teach this test the IDs {sorted(unknown)} (another tenant's object for each)"

    answered = []
    for rule in routes:
        url = rule.build({arg: ids[arg] for arg in rule.arguments}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = logged_in.open(url, method=method, headers={"HX-Request": "true"} if method != "GET" else {})
            answered.append((method, url, response.status_code))
    leaks = [entry for entry in answered if entry[2] != 404]
    assert not leaks, f"answered other than 404 with another tenant's IDs: {leaks}"


def test_lists_never_show_another_tenants_rows(app, logged_in, other_tenant_everything):
    other = other_tenant_everything
    secrets_of_other = [other["order"].number, other["site"].name, other["site_user"].email]
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.split(".")[0]
        if blueprint not in TENANT_BLUEPRINTS or rule.arguments or "GET" not in rule.methods:
            continue
        response = logged_in.get(rule.rule)
        assert response.status_code in (200, 302), (rule.rule, response.status_code)
        text = soup(response).get_text(" ")
        for value in secrets_of_other:
            assert value not in text, f"{rule.rule} shows {value!r} of another tenant"
        for query in ("?q=" + other["order"].number, "?q=" + other["site_user"].email, f"?site={other['site'].id}"):
            text = soup(logged_in.get(rule.rule + query)).get_text(" ")
            assert other["order"].number not in text and other["site_user"].email not in text, (rule.rule, query)


def test_ids_beyond_the_primary_key_range_are_404_not_a_database_error(app, logged_in, other_tenant_everything):
    too_large = 2**31
    for rule in _routes(app):
        url = "/".join(
            str(too_large) if part.startswith("<") else part for part in rule.rule.split("/")
        )
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            assert logged_in.open(url, method=method).status_code == 404, (method, url)


def test_two_admins_signed_in_side_by_side_each_see_only_their_tenant(app, logged_in, other_tenant):
    """Also guards the test client: requests share the test's app context, and a cached user
    would let the second client silently act as the first."""
    rival = app.test_client()
    rival.login(other_tenant["admin"])
    assert logged_in.get(f"/orders/{other_tenant['order'].id}").status_code == 404
    assert rival.get(f"/orders/{other_tenant['order'].id}").status_code == 200
    assert "Rival Print" in soup(rival.get("/orders/")).select_one(".who").text
    assert "Acme Print" in soup(logged_in.get("/orders/")).select_one(".who").text
