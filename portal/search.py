"""Free-text search in SQL: one way to read what was typed, the same on SQLite and PostgreSQL.

Every list that searches "contains this text" (site users, orders) builds its LIKE pattern
here, so the same words find the same rows everywhere: case is ignored and runs of blanks
count as one, and ``%``, ``_`` and ``\\`` match themselves. Columns are compared through
``lower()`` and patterns use ``ESCAPE '\\'``.
"""

from __future__ import annotations

LIKE_ESCAPE = "\\"


def normalize(text: str) -> str:
    """What a search compares: lower case, surrounding blanks dropped, inner runs of blanks made one space."""
    return " ".join((text or "").split()).lower()


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains_pattern(text: str) -> str:
    """LIKE pattern for lower-cased values containing ``text`` (normalized)."""
    return f"%{escape_like(normalize(text))}%"


def prefix_pattern(text: str) -> str:
    """LIKE pattern for values starting with ``text`` exactly as given (order numbers: case kept)."""
    return f"{escape_like(text)}%"
