"""Database IDs in URLs and query strings.

Integer primary keys are 32-bit on PostgreSQL; a larger number in a URL must be a 404,
not an "integer out of range" error from the database. Routes say ``<id:order_id>``.
"""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

LARGEST_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<id:name>``: a positive integer that fits a primary key, otherwise no match (404)."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=LARGEST_ID)


def id_or_none(raw) -> int | None:
    """An ID from a query parameter or form field, or None when it cannot be one."""
    text = str(raw if raw is not None else "").strip()
    if not text.isdigit():
        return None
    number = int(text)
    return number if 1 <= number <= LARGEST_ID else None
