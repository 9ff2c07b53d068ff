"""HTMX requests that swap one frame of a page (a tab, a result list) get just that frame."""

from __future__ import annotations

from flask import request


def is_frame_request(frame_id: str) -> bool:
    """True when HTMX asks to swap the element ``frame_id`` (e.g. a tab frame: nav + tab body) in place.

    History restores and every other HTMX request get the whole page, so a reload or the
    back button never shows a bare fragment.
    """
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Target") == frame_id
        and request.headers.get("HX-History-Restore-Request") != "true"
    )
