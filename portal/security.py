"""App-wide protections: response headers, and access guards that answer before the CSRF check."""

from __future__ import annotations

from flask import Flask

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
