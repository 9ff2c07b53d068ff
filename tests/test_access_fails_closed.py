"""Access fails closed: a route nobody listed answers 404, and the URL map is walked as strangers.

``portal.security`` names a guard per blueprint and per app-level endpoint, plus a short list
of public endpoints; an endpoint found nowhere answers 404 at run time. The walk below tries
every endpoint of the URL map, with every method, as a visitor who is not signed in, as an
admin of another tenant, as an admin without Embedded Services and as staff, so a new route
cannot be born open: it fails here until this module is told who may use it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask import Blueprint

from portal import create_app, security
from portal.extensions import db
from tests import embedded_factories, factories
from tests.conftest import PortalClient

SUBSCRIBER_ADMINS = {"other_tenant_admin", "admin_without_embedded_services"}
SIGNED_IN = SUBSCRIBER_ADMINS | {"staff"}
EVERYONE = SIGNED_IN | {"anonymous"}

# Who may use each endpoint, by endpoint or else by blueprint (this module's own copy of the
# rules, so a change to portal.security has to agree with it).
WHO_MAY = {
    "static": EVERYONE,
    "auth.login": EVERYONE,
    "auth": SIGNED_IN,
    "index": SIGNED_IN,
    "sites": SUBSCRIBER_ADMINS,
    "users": SUBSCRIBER_ADMINS,
    "orders": SUBSCRIBER_ADMINS,
    "accounts": {"other_tenant_admin"},  # the only admin whose subscriber has Embedded Services
    "staff": {"staff"},
}

# URL arguments that name one tenant's objects: another tenant's admin must get 404 for them.
TENANT_ARGUMENTS = {"site_id", "site_user_id", "order_id", "item_id", "account_id", "link_id"}


def who_may(endpoint: str) -> set[str]:
    key = endpoint if endpoint in WHO_MAY else endpoint.rpartition(".")[0]
    assert key in WHO_MAY, f"teach tests/test_access_fails_closed.py who may use {endpoint!r}"
    return WHO_MAY[key]


def unlisted_endpoints(app) -> list[str]:
    """Endpoints that neither the public list nor a guard table of portal.security names."""
    blueprints, app_endpoints = security.access_guards(), security.app_endpoint_guards()
    missing = []
    for rule in app.url_map.iter_rules():
        blueprint, _, _ = rule.endpoint.rpartition(".")
        listed = (rule.endpoint in security.PUBLIC_ENDPOINTS
                  or (blueprint in blueprints if blueprint else rule.endpoint in app_endpoints))
        if not listed:
            missing.append(rule.endpoint)
    return missing


@pytest.fixture
def visitors(app, other_tenant, staff_user):
    """The owner of the objects is ``other_tenant``; everyone here is a stranger to some route."""
    acme = factories.subscriber(name="Acme Print")
    embedded_factories.authorize(acme)
    other_tenant_admin = factories.admin(acme, email="admin@acme.example")
    without = factories.admin(factories.subscriber(name="Plain Print"), email="admin@plain.example")
    other_tenant["embedded"] = embedded_factories.tenant_objects(other_tenant)  # authorizes the owner too
    db.session.commit()
    clients = {"anonymous": app.test_client()}
    for name, user in (("other_tenant_admin", other_tenant_admin), ("admin_without_embedded_services", without),
                       ("staff", staff_user)):
        clients[name] = app.test_client()
        with app.app_context():  # see request()
            clients[name].login(user)
    return clients


def request(app, client, method, url, **kwargs):
    """One request, with a valid CSRF token, in a fresh app context (Flask-Login caches the user in ``g``).

    The token lets a POST past the CSRF check to the tenant lookup; that guards answer before
    the check is tests/test_access_guards_before_csrf.py.
    """
    with app.app_context():
        return client.open(url, method=method, **kwargs)


def owner_values(other_tenant) -> dict[str, object]:
    values = {
        "site_id": other_tenant["site"].id,
        "site_user_id": other_tenant["site_user"].id,
        "order_id": other_tenant["order"].id,
        "item_id": other_tenant["item"].id,
        "subscriber_id": other_tenant["subscriber"].id,
        "job_id": "no-such-job",
        "filename": "app.js",
    }
    values.update({name: obj.id for name, obj in other_tenant["embedded"].items()})
    return values


def expected_answer(who: str, rule) -> str | None:
    """'sign-in' or '404' for a visitor who may not use the route; None when they may."""
    allowed = who_may(rule.endpoint)
    if who not in allowed:
        return "sign-in" if who == "anonymous" else "404"
    if who != "staff" and TENANT_ARGUMENTS & set(rule.arguments):
        return "404"  # a subscriber admin, and the objects are another tenant's
    return None


def answered(response) -> str:
    if response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/auth/login":
        return "sign-in"
    return str(response.status_code)


def test_every_endpoint_has_an_access_rule(app):
    assert unlisted_endpoints(app) == [], (
        "name a guard for these in portal/security.py (access_guards for a blueprint, "
        "app_endpoint_guards for an app-level route); until then they answer 404"
    )


def test_the_public_list_is_sign_in_and_static_only():
    assert security.PUBLIC_ENDPOINTS == {"auth.login", "static"}


def test_every_endpoint_is_closed_to_whoever_may_not_use_it(app, visitors, other_tenant):
    values = owner_values(other_tenant)
    rules = list(app.url_map.iter_rules())
    unknown = {argument for rule in rules for argument in rule.arguments} - set(values)
    assert not unknown, f"teach this test a value for {sorted(unknown)}"
    assert len(rules) >= 30, [rule.endpoint for rule in rules]

    wrong, checked = [], 0
    for rule in rules:
        url = rule.build({argument: values[argument] for argument in rule.arguments}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for who, client in visitors.items():
                expected = expected_answer(who, rule)
                if expected is None:
                    continue
                got = answered(request(app, client, method, url))
                checked += 1
                if got != expected:
                    wrong.append((who, method, url, f"expected {expected}, got {got}"))
    assert not wrong, wrong
    assert checked >= 100, checked


def test_public_endpoints_answer_a_visitor_who_is_not_signed_in(client):
    assert client.get("/auth/login").status_code == 200
    assert client.get("/static/app.js").status_code == 200


@pytest.fixture
def fresh_app(migrated_database):
    """An app that has not answered a request yet, so a test may add routes to it."""
    app = create_app({"SERVER_NAME": "portal.test"})
    app.test_client_class = PortalClient
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _signed_in_clients(app, admin, staff_user):
    clients = {"anonymous": app.test_client(), "admin": app.test_client(), "staff": app.test_client()}
    with app.app_context():
        clients["admin"].login(admin)
        clients["staff"].login(staff_user)
    return clients


def test_a_blueprint_missing_from_the_table_answers_404_to_everyone(fresh_app, admin, staff_user):
    reports = Blueprint("reports", __name__, url_prefix="/reports")
    reports.add_url_rule("/", "index", lambda: "every tenant's revenue", methods=["GET", "POST"])
    fresh_app.register_blueprint(reports)

    for who, client in _signed_in_clients(fresh_app, admin, staff_user).items():
        with fresh_app.app_context():
            assert client.get("/reports/").status_code == 404, who
            # 404 before the CSRF check, like every refused route
            assert client.post("/reports/", csrf=False).status_code == 404, who
    assert unlisted_endpoints(fresh_app) == ["reports.index"]


def test_an_app_level_route_missing_from_the_table_answers_404_to_everyone(fresh_app, admin, staff_user):
    fresh_app.add_url_rule("/export", "export", lambda: "every tenant's orders")

    for who, client in _signed_in_clients(fresh_app, admin, staff_user).items():
        with fresh_app.app_context():
            assert client.get("/export").status_code == 404, who
    assert unlisted_endpoints(fresh_app) == ["export"]


def test_a_new_route_in_a_listed_blueprint_inherits_its_guard(fresh_app, admin, staff_user):
    """Other engineers add routes to orders, sites and accounts: those are guarded from birth."""
    fresh_app.add_url_rule("/orders/export", "orders.export", lambda: "this tenant's orders")
    clients = _signed_in_clients(fresh_app, admin, staff_user)

    with fresh_app.app_context():
        assert answered(clients["anonymous"].get("/orders/export")) == "sign-in"
    with fresh_app.app_context():
        assert clients["staff"].get("/orders/export").status_code == 404
    with fresh_app.app_context():
        assert clients["admin"].get("/orders/export").status_code == 200
    assert unlisted_endpoints(fresh_app) == []
