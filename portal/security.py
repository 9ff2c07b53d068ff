"""App-wide protections: response headers, and access guards that answer before the CSRF check."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, request

# Pages must not be framed by other sites (clickjacking: a hidden "Withdraw" or "Approve" button
# under a decoy). No script-src policy: it would need its own review of every template.
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _add_security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def register_security_headers(app: Flask) -> None:
    """Every response, error pages and static files included, carries ``SECURITY_HEADERS``."""
    app.after_request(_add_security_headers)


def access_guards() -> dict[str, Callable[[], object] | None]:
    """Who may use each blueprint: its ``before_request`` guard, or None for everyone (signing in).

    A guard returns a response (the sign-in redirect) or aborts with 404; None lets the request on.
    """
    from portal.accounts.access import require_embedded_services
    from portal.tenancy import require_staff, require_subscriber_admin

    return {
        "auth": None,
        "sites": require_subscriber_admin,
        "users": require_subscriber_admin,
        "orders": require_subscriber_admin,
        "accounts": require_embedded_services,
        "staff": require_staff,
    }


def register_access_guards(app: Flask) -> None:
    """Run the blueprint's access guard, then the CSRF check, before every view.

    Flask runs app-level ``before_request`` functions before blueprint ones, and Flask-WTF checks
    CSRF in an app-level one: a POST without a token got 400 from routes the visitor may not
    use, and 404 from unknown URLs, so a subscriber without Embedded Services, or an admin
    probing the staff area, could tell which routes exist. Here the guard answers first (404
    or the sign-in redirect); only then is the token checked, for every POST that got this far.
    """
    guards = access_guards()
    csrf = app.extensions["csrf"]
    check_csrf = app.config.get("WTF_CSRF_CHECK_DEFAULT", True)
    # Flask-WTF's own hook would check before the guards; the check moves into ours instead.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False

    def guard_then_check_csrf():
        guard = guards.get(request.blueprint)
        if guard is not None:
            response = guard()
            if response is not None:
                return response
        if check_csrf and current_app.config["WTF_CSRF_ENABLED"]:
            csrf.protect(apply_exemptions=True)
        return None

    app.before_request(guard_then_check_csrf)
