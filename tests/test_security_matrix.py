"""The security matrix: every route of the URL map, as every kind of visitor, in one table.

The routes are read from ``app.url_map``, so a route added tomorrow is in the matrix the day
it is added; its URL is built with real IDs of objects that exist (``tests/everything.py``),
and a route naming something the fixture does not make yet fails until it is taught.

Who may use what (``ACCESS`` below, this module's own copy of ``portal.security``'s tables):
only sign-in and static files are public; signing out and the home redirect need a session;
sites, site users and orders need a subscriber admin; Embedded Services (the accounts
blueprint, and the Embedded Services tabs, panels and Push Order inside orders and site
users) needs a subscriber admin whose subscriber staff authorized; the staff area needs staff.

The visitors, each asking for every route with every method it accepts, as a page and as
an HTMX request:

============================ ======================================================== =============================
visitor                      asks for                                                 must get when refused
============================ ======================================================== =============================
anonymous                    the owner's objects                                      sign-in redirect (HTMX: 401
                                                                                      with HX-Redirect to sign in)
owner                        its own objects (the positive control: the URLs work)    404 on staff routes
stranger                     the owner's objects, as another tenant's admin with      404
                             Embedded Services
owner without Embedded       its own objects (accounts, links, pushes made while it   404 on Embedded Services and
Services                     was authorized; staff withdrew it since)                 staff routes
staff                        the owner's objects                                      404 on subscriber routes
============================ ======================================================== =============================

A refused POST is sent with a valid CSRF token (a token is no way in) and without one (the
guard answers before the CSRF check, so a refused route looks like an unknown one). A POST
someone may use, sent without a token, answers 400 with the CSRF page. Nothing in the
database changes during the whole walk: GETs change nothing, refusals change nothing, and
no POST without a token does anything.

Every answer carries the security headers (the Content-Security-Policy allows scripts and
styles from the portal only), every page and fragment is ``Cache-Control: no-store``, every
cookie is HttpOnly and SameSite=Lax; every HTML answer holds no inline script, handler or
style and loads scripts only from ``/static/``, and every full page configures HTMX in its
meta tag with eval off. Cookies are Secure with the production settings (a separate test).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from portal import create_app, security
from portal.extensions import db
from portal.security import SECURITY_HEADERS
from portal.settings import load_settings
from tests import factories
from tests.conftest import PortalClient
from tests.everything import NOT_TENANT_ARGUMENTS, one_of_everything, teach_message, unknown_arguments, url_for_rule, url_values

PUBLIC, SIGNED_IN, SUBSCRIBER_ADMIN, EMBEDDED_SERVICES, STAFF = (
    "public", "signed in", "subscriber admin", "Embedded Services", "staff")

# Who may use each endpoint, by endpoint, else by blueprint.
ACCESS = {
    "static": PUBLIC,
    "auth.login": PUBLIC,
    "auth": SIGNED_IN,
    "index": SIGNED_IN,
    "sites": SUBSCRIBER_ADMIN,
    "users": SUBSCRIBER_ADMIN,
    "orders": SUBSCRIBER_ADMIN,
    "accounts": EMBEDDED_SERVICES,
    "staff": STAFF,
}
# Embedded Services pages that live in another area's blueprint: their paths say so, and
# the orders page's Partners block, which says where the order goes.
EMBEDDED_SERVICES_PATH = "/embedded-services"
EMBEDDED_SERVICES_ENDPOINTS = {"orders.partner_outlook"}

CSRF_PAGE_MESSAGE = "The form expired or was sent from another page."
CSRF_HTMX_MESSAGE = "This page is out of date. Reload it and try again."
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass(frozen=True)
class Visitor:
    name: str
    signed_in: bool = True
    staff: bool = False
    embedded_services: bool = True
    stranger: bool = False  # asks for another tenant's objects


VISITORS = (
    Visitor("anonymous", signed_in=False),
    Visitor("owner"),
    Visitor("stranger", stranger=True),
    Visitor("owner without Embedded Services", embedded_services=False),
    Visitor("staff", staff=True),
)


def access_of(rule) -> str:
    blueprint = rule.endpoint.rpartition(".")[0]
    key = rule.endpoint if rule.endpoint in ACCESS else blueprint
    assert key and key in ACCESS, f"teach tests/test_security_matrix.py who may use {rule.endpoint!r} (ACCESS)"
    access = ACCESS[key]
    if access == SUBSCRIBER_ADMIN and (EMBEDDED_SERVICES_PATH in rule.rule or rule.endpoint in EMBEDDED_SERVICES_ENDPOINTS):
        return EMBEDDED_SERVICES
    return access


def names_tenant_objects(rule) -> bool:
    return bool(set(rule.arguments) - NOT_TENANT_ARGUMENTS)


# Another tenant's object: the area's guard lets the visitor in, and the view's tenant lookup
# answers 404. That lookup runs after the CSRF check, so a POST without a token gets 400, the
# same as for an ID that exists nowhere: no hint either way.
NOT_THEIRS = "404 (another tenant's)"


def expected(visitor: Visitor, rule) -> str:
    """'ok', 'sign-in', '404' or NOT_THEIRS: what ``visitor`` must get from ``rule``."""
    access = access_of(rule)
    if access == PUBLIC:
        return "ok"
    if not visitor.signed_in:
        return "sign-in"
    if access == SIGNED_IN:
        return "ok"
    if access == STAFF:
        return "ok" if visitor.staff else "404"
    if visitor.staff:
        return "404"  # subscriber areas are not the platform operator's
    if access == EMBEDDED_SERVICES and not visitor.embedded_services:
        return "404"
    if visitor.stranger and names_tenant_objects(rule):
        return NOT_THEIRS
    return "ok"


def answered(response, htmx: bool) -> str:
    status = response.status_code
    if htmx and status == 401 and urlsplit(response.headers.get("HX-Redirect", "")).path == "/auth/login":
        return "sign-in"
    if not htmx and status == 302 and urlsplit(response.headers["Location"]).path == "/auth/login":
        return "sign-in"
    if status == 404:
        return "404"
    if status == 400 and (CSRF_HTMX_MESSAGE if htmx else CSRF_PAGE_MESSAGE) in response.get_data(as_text=True):
        return "CSRF refused"
    if status < 400:
        return "ok"
    return f"HTTP {status}"


@pytest.fixture
def world(app, staff_user):
    """The owner's objects, a stranger's (another tenant with Embedded Services), a tenant that had
    Embedded Services withdrawn, and a signed-in client for each visitor."""
    owner = one_of_everything("Owner Print")
    stranger = one_of_everything("Stranger Print")
    withdrawn = one_of_everything("Withdrawn Print", embedded_services=False)
    db.session.commit()
    users = {"owner": owner.admin, "stranger": stranger.admin, "owner without Embedded Services": withdrawn.admin,
             "staff": staff_user}
    clients = {"anonymous": app.test_client()}
    for name, user in users.items():
        clients[name] = app.test_client()
        clients[name].login(user)
    values = {name: url_values(owner) for name in clients}
    values["owner without Embedded Services"] = url_values(withdrawn)
    return clients, values


def database_contents() -> dict[str, list]:
    db.session.rollback()
    db.session.expire_all()
    return {table.name: sorted(map(repr, db.session.execute(select(table)).all())) for table in db.metadata.sorted_tables}


def test_every_route_answers_every_visitor_as_the_table_says(app, world):
    clients, values = world
    rules = sorted(app.url_map.iter_rules(), key=lambda rule: (rule.rule, rule.endpoint))
    unknown = unknown_arguments(rules, values["owner"])
    assert not unknown, teach_message(unknown)
    assert len(rules) >= 40, [rule.endpoint for rule in rules]

    before = database_contents()
    wrong, responses, cells = [], [], Counter()
    for rule in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for visitor in VISITORS:
                cell = expected(visitor, rule)
                cells[cell] += 1
                url = url_for_rule(rule, values[visitor.name])
                # (with a CSRF token, as HTMX, what must answer)
                must = "404" if cell == NOT_THEIRS else cell
                attempts = [(True, False, must), (True, True, must)]
                if method in STATE_CHANGING:
                    # Refused by the area's guard: without a token too. Allowed, or refused by the view's
                    # tenant lookup: without a token, the CSRF check answers 400 first.
                    without = cell if cell in ("sign-in", "404") else "CSRF refused"
                    attempts = [(False, False, without), (False, True, without)] + (attempts if cell != "ok" else [])
                for token, htmx, must in attempts:
                    headers = {"HX-Request": "true"} if htmx else {}
                    response = clients[visitor.name].open(url, method=method, headers=headers, csrf=token)
                    responses.append((f"{visitor.name} {method} {url}{' (HTMX)' if htmx else ''}", response))
                    got = answered(response, htmx)
                    if got != must:
                        wrong.append(f"{visitor.name:32} {method:5} {url}{' HTMX' if htmx else ''}"
                                     f"{'' if token else ' no token'}: expected {must}, got {got}")
    assert not wrong, f"{len(wrong)} answers differ from the table:\n" + "\n".join(wrong)
    assert database_contents() == before, "a GET, a refused request or a POST without a CSRF token changed data"
    assert cells["ok"] >= 60 and cells["404"] >= 60 and cells[NOT_THEIRS] >= 20 and cells["sign-in"] >= 40, cells

    problems = []
    for where, response in responses:
        problems += [f"{where}: {problem}" for problem in header_problems(response)]
        problems += [f"{where}: {problem}" for problem in markup_problems(response)]
    assert not problems, "\n".join(problems)


# The policy's own terms, read here rather than trusted from portal.security: scripts and styles
# from the portal only, nothing inline, no eval, no plugins, no framing, forms post here only.
POLICY = {"default-src": ["'self'"], "script-src": ["'self'"], "style-src": ["'self'"], "object-src": ["'none'"],
          "base-uri": ["'none'"], "form-action": ["'self'"], "frame-ancestors": ["'none'"]}


def header_problems(response) -> list[str]:
    problems = [f"{name} is {response.headers.get(name)!r}" for name, value in SECURITY_HEADERS.items()
                if response.headers.get(name) != value]
    policy = {}
    for directive in response.headers.get("Content-Security-Policy", "").split(";"):
        name, *values = directive.split() or [""]
        policy[name] = values
    if any(policy.get(name) != values for name, values in POLICY.items()):
        problems.append(f"Content-Security-Policy is {response.headers.get('Content-Security-Policy')!r}")
    if response.request.path.startswith("/static/"):
        if "no-store" in response.headers.get("Cache-Control", ""):
            problems.append("a static file is no-store")
    elif response.headers.get("Cache-Control") != "no-store":
        problems.append(f"Cache-Control is {response.headers.get('Cache-Control')!r}")
    for cookie in response.headers.getlist("Set-Cookie"):
        attributes = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
        if attributes.get("max-age") == "Max-Age=0":
            continue  # a cookie being deleted (Flask-Login clears remember_token so), with no value
        if "httponly" not in attributes or attributes.get("samesite", "").lower() != "samesite=lax":
            problems.append(f"cookie without HttpOnly and SameSite=Lax: {cookie.split('=')[0]}")
    return problems


def markup_problems(response) -> list[str]:
    """Rendered HTML may run only the portal's own scripts (whatever the templates' macros produced)."""
    if response.status_code >= 300 or not response.mimetype == "text/html":
        return []
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    problems = []
    for element in page.find_all(True):
        if element.name == "script" and not (element.get("src") or "").startswith("/static/"):
            problems.append(f"<script> not from /static/: {str(element)[:80]}")
        if element.name == "style":
            problems.append("<style> element")
        for attribute, value in element.attrs.items():
            value = " ".join(value) if isinstance(value, list) else value
            if attribute.startswith(("on", "hx-on", "data-hx-on")) or attribute == "style":
                problems.append(f"{attribute}= on <{element.name}>")
            elif value.strip().lower().startswith("javascript:"):
                problems.append(f"javascript: URL on <{element.name}>")
            elif attribute in ("hx-vals", "hx-vars", "hx-headers") and value.strip().startswith("js:"):
                problems.append(f"{attribute}=js: on <{element.name}>")
    if page.find("html") is not None:
        meta = page.find("meta", {"name": "htmx-config"})
        config = json.loads(meta["content"]) if meta is not None else {}
        if config.get("allowEval") is not False or config.get("allowScriptTags") is not False:
            problems.append(f"HTMX configured with eval or script tags allowed: {config}")
    return problems


def test_the_table_names_every_area_of_the_portal(app):
    """The copy of the rules here must cover every guard of portal.security, and no more public endpoints."""
    areas = set(security.access_guards()) | set(security.app_endpoint_guards()) | set(security.PUBLIC_ENDPOINTS)
    assert areas <= set(ACCESS), f"teach ACCESS about {sorted(areas - set(ACCESS))}"
    assert {key for key, access in ACCESS.items() if access == PUBLIC} == set(security.PUBLIC_ENDPOINTS)
    for rule in app.url_map.iter_rules():
        access_of(rule)


@pytest.mark.parametrize("visitor, rule_path, endpoint, must", [
    (VISITORS[2], "/orders/<id:order_id>", "orders.detail", NOT_THEIRS),
    (VISITORS[2], "/orders/", "orders.index", "ok"),
    (VISITORS[3], "/orders/<id:order_id>/partners", "orders.partner_outlook", "404"),
    (VISITORS[3], "/users/<id:site_user_id>/embedded-services", "users.embedded_services", "404"),
    (VISITORS[3], "/users/<id:site_user_id>", "users.detail", "ok"),
    (VISITORS[1], "/staff/", "staff.subscribers", "404"),
    (VISITORS[4], "/staff/subscribers/<id:subscriber_id>/authorize", "staff.authorize_embedded_services", "ok"),
    (VISITORS[4], "/sites/", "sites.index", "404"),
    (VISITORS[0], "/auth/login", "auth.login", "ok"),
    (VISITORS[0], "/", "index", "sign-in"),
])
def test_the_table_reads_as_the_product_says(visitor, rule_path, endpoint, must):
    from werkzeug.routing import Map, Rule

    from portal.routing import IdConverter

    rule = Rule(rule_path, endpoint=endpoint)
    Map([rule], converters={"id": IdConverter})
    assert expected(visitor, rule) == must


@pytest.fixture
def production_cookie_app(migrated_database, monkeypatch, tmp_path):
    """The test database, with the cookie settings production would use."""
    with monkeypatch.context() as production:
        production.setenv("PORTAL_ENV", "production")
        production.setenv("SECRET_KEY", "x" * 40)
        production.setenv("DATABASE_URL", "postgresql://portal@db.internal/portal")
        settings = load_settings({"INSTANCE_PATH": str(tmp_path)})
    cookie_settings = {key: value for key, value in settings.items() if key.startswith(("SESSION_COOKIE", "REMEMBER_COOKIE"))}
    assert cookie_settings["SESSION_COOKIE_SECURE"] and cookie_settings["REMEMBER_COOKIE_SECURE"]
    app = create_app({"SERVER_NAME": "portal.test", **cookie_settings})
    app.test_client_class = PortalClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_cookies_are_httponly_samesite_and_secure_in_production(production_cookie_app, admin):
    client = production_cookie_app.test_client()
    response = client.post("/auth/login", data={"email": admin.email, "password": factories.PASSWORD,
                                                "remember": "y"}, base_url="https://portal.test",
                           headers={"Referer": "https://portal.test/auth/login"})  # HTTPS: Flask-WTF checks it
    assert response.status_code == 302, response.text
    cookies = {cookie.split("=", 1)[0]: cookie for cookie in response.headers.getlist("Set-Cookie")}
    assert {"session", "remember_token"} <= set(cookies), cookies.keys()
    for name, cookie in cookies.items():
        attributes = [part.strip().lower() for part in cookie.split(";")[1:]]
        assert "secure" in attributes, (name, cookie)
        assert "httponly" in attributes, (name, cookie)
        assert "samesite=lax" in attributes, (name, cookie)


def test_development_cookies_are_not_secure_but_still_httponly_and_samesite(client, admin):
    """Without HTTPS (make run, the tests) a Secure cookie would never come back."""
    response = client.post("/auth/login", data={"email": admin.email, "password": factories.PASSWORD, "remember": "y"})
    for cookie in response.headers.getlist("Set-Cookie"):
        attributes = [part.strip().lower() for part in cookie.split(";")[1:]]
        assert "secure" not in attributes and "httponly" in attributes and "samesite=lax" in attributes, cookie
