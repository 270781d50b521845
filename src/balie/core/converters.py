"""URL path converters: an ``<id:…>`` is a database id, so a longer number never reaches a query.

Registered once in :mod:`balie.conf.urls`. Ids beyond the 64-bit range do not match (404)
instead of overflowing the database driver (SQLite's ``OverflowError``, PostgreSQL's
``DataError``): a 500 for a URL anyone can type.
"""

from __future__ import annotations

#: the largest id a database column holds (a signed 64-bit integer)
MAX_ID = 2**63 - 1


class IdConverter:
    """A positive integer id of at most 19 digits and at most :data:`MAX_ID`."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        """The id; a ``ValueError`` (out of range) makes Django try the next pattern, then 404."""
        number = int(value)
        if not 0 < number <= MAX_ID:
            raise ValueError(f"{value} is not a database id")
        return number

    def to_url(self, value: int) -> str:
        """The id as it appears in a path."""
        return str(int(value))
