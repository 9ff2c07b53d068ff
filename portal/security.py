"""App-wide protections: response headers, and access guards that answer before the CSRF check."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, abort, current_app, request

# Scripts and styles come only from the portal's own files (static/): no inline <script>,
# no on*= or hx-on handlers, no style= attributes, and HTMX's eval is off (base.html's
# htmx-config), so HTML that slipped into a page cannot run. Pages must not be framed by
# other sites (clickjacking: a hidden "Withdraw" or "Approve" button under a decoy), and
# forms post only here.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

# Pages and fragments show one tenant's data, and the sign-in page a CSRF token: no browser
# or proxy may keep a copy (the back button after signing out, a shared computer). Static
# files are the same for everyone and keep their own caching.
NO_STORE = "no-store"


def _add_security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", NO_STORE)
    hsts = current_app.config.get("STRICT_TRANSPORT_SECURITY")
    if hsts:
        response.headers.setdefault("Strict-Transport-Security", hsts)
    return response


def register_security_headers(app: Flask) -> None:
    """Every response, error pages and static files included, carries ``SECURITY_HEADERS``.

    Every response but a static file is ``Cache-Control: no-store``; in production every
    response says ``Strict-Transport-Security`` (the ``STRICT_TRANSPORT_SECURITY`` setting).
    """
    app.after_request(_add_security_headers)


Guard = Callable[[], object]

# Endpoints anyone may use, signed in or not. Keep this list short: every other endpoint
# needs a guard in one of the tables below, and one without answers 404 (fail closed).
PUBLIC_ENDPOINTS = frozenset({"auth.login", "static"})

logger = logging.getLogger(__name__)


def access_guards() -> dict[str, Guard]:
    """Who may use each blueprint: the ``before_request`` guard of every endpoint in it.

    A new route in a listed blueprint inherits its guard. A guard returns a response (the
    sign-in redirect) or aborts with 404; None lets the request on.
    """
    from portal.accounts.access import require_embedded_services
    from portal.tenancy import require_signed_in, require_staff, require_subscriber_admin

    return {
        "auth": require_signed_in,  # signing out; signing in is public
        "sites": require_subscriber_admin,
        "users": require_subscriber_admin,
        "orders": require_subscriber_admin,
        "accounts": require_embedded_services,
        "staff": require_staff,
    }


# Embedded Services pages that live in the orders and site users areas. Like the accounts
# blueprint, they do not exist (404) for a subscriber staff have not authorized, and that is
# decided before the CSRF check: Push Order without a token answered 400 to such an admin
# where an unknown URL answers 404, so the route could be told apart from one that does not exist.
EMBEDDED_SERVICES_ENDPOINTS = frozenset({
    "orders.embedded_services",
    "orders.integration_panel",
    "orders.partner_outlook",
    "orders.push",
    "users.embedded_services",
})


def endpoint_guards_within_blueprints() -> dict[str, Guard]:
    """Endpoints whose guard is stricter than their blueprint's; it replaces the blueprint's."""
    from portal.accounts.access import require_embedded_services

    return {endpoint: require_embedded_services for endpoint in EMBEDDED_SERVICES_ENDPOINTS}


def app_endpoint_guards() -> dict[str, Guard]:
    """Who may use each endpoint that belongs to no blueprint, by endpoint name."""
    from portal.tenancy import require_signed_in

    return {"index": require_signed_in}


def _unlisted() -> None:
    """The guard of an endpoint no table names: nobody may use it until someone decides who may."""
    logger.error("No access rule for endpoint %r (portal/security.py): answered 404", request.endpoint)
    abort(404)


def register_access_guards(app: Flask) -> None:
    """Run the endpoint's access guard, then the CSRF check, before every view.

    Flask runs app-level ``before_request`` functions before blueprint ones, and Flask-WTF checks
    CSRF in an app-level one: a POST without a token got 400 from routes the visitor may not
    use, and 404 from unknown URLs, so a subscriber without Embedded Services, or an admin
    probing the staff area, could tell which routes exist. Here the guard answers first (404
    or the sign-in redirect); only then is the token checked, for every POST that got this far.

    The guard is looked up by blueprint, or by endpoint for app-level routes, and an endpoint
    found in neither table (a new blueprint or app-level route nobody listed) answers 404:
    forgetting the table closes a route instead of opening it to everyone.
    """
    blueprint_guards = access_guards()
    stricter_guards = endpoint_guards_within_blueprints()
    endpoint_guards = app_endpoint_guards()
    csrf = app.extensions["csrf"]
    check_csrf = app.config.get("WTF_CSRF_CHECK_DEFAULT", True)
    # Flask-WTF's own hook would check before the guards; the check moves into ours instead.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False

    def guard_for(endpoint: str, blueprint: str | None) -> Guard | None:
        if endpoint in PUBLIC_ENDPOINTS:
            return None
        if endpoint in stricter_guards:
            return stricter_guards[endpoint]
        if blueprint is not None:
            return blueprint_guards.get(blueprint, _unlisted)
        return endpoint_guards.get(endpoint, _unlisted)

    def guard_then_check_csrf():
        if request.url_rule is None:
            return None  # no route matched: routing answers 404 or 405, and no view runs
        guard = guard_for(request.endpoint, request.blueprint)
        if guard is not None:
            response = guard()
            if response is not None:
                return response
        if check_csrf and current_app.config["WTF_CSRF_ENABLED"]:
            csrf.protect(apply_exemptions=True)
        return None

    app.before_request(guard_then_check_csrf)
