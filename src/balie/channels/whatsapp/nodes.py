"""Reading one node of a WhatsApp webhook payload whatever its shape (pure; no database).

Any node may be an object where a list belongs, a string, a number or null; these readers
answer an empty value instead of raising, so the parser never fails on a payload's shape.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any


def as_object(value: Any) -> dict[str, Any]:
    """The node if it is an object, else an empty one."""
    return value if isinstance(value, dict) else {}


def objects(value: Any) -> list[dict[str, Any]]:
    """The objects in the node if it is a list (other items left out), else none."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def as_text(value: Any) -> str:
    """A text value in full: strings as they are, numbers written out, anything else ''."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value) if math.isfinite(value) else ""
    return ""


def as_ident(value: Any, limit: int = 255) -> str:
    """An identifier (id, MIME type, code): text, capped for its column."""
    return as_text(value)[:limit]


def as_time(value: Any) -> datetime | None:
    """A Unix timestamp (number or digits) as an aware UTC time, or None."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def as_list(value: Any) -> list[Any]:
    """The node if it is a list, else an empty one."""
    return value if isinstance(value, list) else []
