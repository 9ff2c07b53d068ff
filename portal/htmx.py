"""What an HTMX request asks for, read from its headers, in one place.

Views return a fragment only when HTMX will swap it into a page that is already shown.
A history restore (the back button after HTMX's cache missed) is an HTMX request too, but
it replaces the whole body, so it gets the full page like a plain browser request.
"""

from __future__ import annotations

from flask import request


def is_htmx_request() -> bool:
    """True for any request HTMX sent, history restores included."""
    return request.headers.get("HX-Request") == "true"


def is_history_restore() -> bool:
    return request.headers.get("HX-History-Restore-Request") == "true"


def wants_fragment() -> bool:
    """True when HTMX will swap the answer into the current page: answer with a fragment."""
    return is_htmx_request() and not is_history_restore()


def targets(element_id: str) -> bool:
    """True when HTMX wants a fragment to swap into the element ``element_id`` (no ``#``).

    For pages whose parts are swapped separately (a tab frame, a list with its filters): the
    same URL answers the frame to a request aimed at it, and the whole page to anything else.
    """
    return wants_fragment() and request.headers.get("HX-Target") == element_id


def push_url(response, url: str):
    """Have HTMX put ``url`` in the address bar instead of the URL it asked for.

    A GET form sends every field, empty ones too; the server knows the tidy URL that shows
    the same thing, and that is the one worth bookmarking or sharing.
    """
    response.headers["HX-Push-Url"] = url
    return response


TEMPLATE_GLOBALS = {"is_htmx_request": is_htmx_request, "wants_fragment": wants_fragment, "targets": targets}
