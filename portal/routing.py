"""Database IDs and page numbers in URLs and query strings.

Integer primary keys are 32-bit on PostgreSQL; a larger number in a URL must be a 404,
not an "integer out of range" error from the database. Routes say ``<id:order_id>``.

Query-string numbers are read by the helpers here and nowhere else: ``str.isdigit()``
accepts '²' and other Unicode digits that ``int()`` then refuses, so only ASCII digits count.
"""

from __future__ import annotations

import re

from werkzeug.routing import IntegerConverter

LARGEST_ID = 2**31 - 1
# No list has a million pages; a larger page number shows the last page (OFFSET stays small).
MAX_PAGE = 1_000_000

_ASCII_NUMBER = re.compile(r"[0-9]{1,10}")


class IdConverter(IntegerConverter):
    """``<id:name>``: a positive integer that fits a primary key, otherwise no match (404)."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=LARGEST_ID)


def _ascii_number(raw) -> int | None:
    """The whole value as a number of at most ten ASCII digits (surrounding blanks allowed), else None."""
    text = str(raw if raw is not None else "").strip()
    if not _ASCII_NUMBER.fullmatch(text):
        return None
    return int(text)


def id_or_none(raw) -> int | None:
    """An ID from a query parameter or form field, or None when it cannot be one."""
    number = _ascii_number(raw)
    return number if number is not None and 1 <= number <= LARGEST_ID else None


def page_number_or_one(raw) -> int:
    """The ``?page=`` asked for: page 1 unless it is a positive number, at most ``MAX_PAGE``.

    The lists show their last page for a number past the end.
    """
    number = _ascii_number(raw)
    if number is None or number < 1:
        return 1
    return min(number, MAX_PAGE)
