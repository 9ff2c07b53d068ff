"""Filters shared by the forms and query-string readers of every area.

PostgreSQL refuses NUL in text ("A string literal cannot contain NUL"), so a ``%00`` in a
search box was a 500 there while SQLite answered; the other C0 control characters are never
typed by people and only make values look alike that are not. Tab and line breaks stay:
text areas may hold them, and single-line fields strip or collapse them anyway.
"""

from __future__ import annotations

import re

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_control_characters(value):
    """WTForms filter (and plain helper): ``value`` without C0 control characters other than tab and line breaks."""
    if not isinstance(value, str):
        return value
    return _CONTROL_CHARACTERS.sub("", value)


def strip_whitespace(value):
    """WTForms filter: surrounding blanks removed; leaves None (a field that was not sent) alone."""
    return value.strip() if isinstance(value, str) else value


def clean_text(value) -> str:
    """A free-text query-string value: control characters removed, surrounding blanks stripped."""
    return strip_control_characters(value or "").strip()
