"""The one JSON decoder for input from outside: bounded nesting, text every database stores.

Every entry point (webhooks, the API channel, the PBX, the REST API's parser, the stored raw
WhatsApp events) decodes through :func:`loads`. It refuses what is not UTF-8 JSON, what nests
deeper than :data:`MAX_DEPTH` (the C decoder would otherwise recurse until ``RecursionError``)
and the non-standard constants ``NaN`` and ``Infinity`` (PostgreSQL's jsonb refuses them); every
string in the result, keys included, is passed through :func:`~balie.core.text.clean_text`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from balie.core.text import clean_text

#: deepest nesting of arrays and objects accepted; real payloads nest fewer than ten levels
MAX_DEPTH = 64

# A JSON escape that may decode to a NUL or a surrogate; a false match only costs a walk.
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")


class MalformedJSON(ValueError):
    """The input is not UTF-8, not JSON, or nests deeper than :data:`MAX_DEPTH`."""


def _refuse_constant(name: str) -> Any:
    raise MalformedJSON(f"{name} is not a JSON value")


def loads(body: bytes | str) -> Any:
    """Decode ``body`` as JSON, raising :class:`MalformedJSON` for anything unsafe."""
    if isinstance(body, bytes | bytearray):
        try:
            text = bytes(body).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedJSON(f"the body is not UTF-8: {exc}") from exc
    else:
        text = body
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError as exc:
        raise MalformedJSON(f"the body nests deeper than {MAX_DEPTH} levels") from exc
    except ValueError as exc:  # JSONDecodeError, and ints beyond Python's digit limit
        raise MalformedJSON(str(exc)) from exc
    deep = text.count("[") + text.count("{") > MAX_DEPTH
    suspect = not text.isascii() or _SUSPECT_ESCAPE.search(text) is not None
    if not (deep or suspect):
        return value
    return _walk(value)


def _walk(root: Any) -> Any:
    """Check the depth of ``root`` and clean its strings, without recursion."""
    if isinstance(root, str):
        return clean_text(root)
    if not isinstance(root, dict | list):
        return root
    result = _empty_like(root)
    stack: list[tuple[Any, Any, int]] = [(root, result, 1)]
    while stack:
        source, target, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise MalformedJSON(f"the body nests deeper than {MAX_DEPTH} levels")
        items: Any = source.items() if isinstance(source, dict) else enumerate(source)
        for key, item in items:
            copy: Any
            if isinstance(item, dict | list):
                copy = _empty_like(item)
                stack.append((item, copy, depth + 1))
            elif isinstance(item, str):
                copy = clean_text(item)
            else:
                copy = item
            if isinstance(target, dict):
                target[clean_text(key)] = copy
            else:
                target.append(copy)
    return result


def _empty_like(value: dict[str, Any] | list[Any]) -> dict[str, Any] | list[Any]:
    return {} if isinstance(value, dict) else []
