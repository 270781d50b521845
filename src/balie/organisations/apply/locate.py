"""Finding the line of a key path in TOML source, for error messages.

``tomllib`` gives lines only for syntax errors; for a value that parses but is wrong we look
the path up in the text: the n-th ``[[array]]`` header, then the key inside its block.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\-]+)\s*\]\]?\s*(#.*)?$")


def locate(source: str, path: tuple[str | int, ...]) -> int:
    """The 1-based line where ``path`` (e.g. ``("agents", 2, "skills", "paspoort")``) is set."""
    lines = source.splitlines()
    start, end, rest = _block(lines, path)
    found = start
    for key in rest:
        if isinstance(key, int):
            continue
        pattern = re.compile(rf'(^|[\s{{,])"?{re.escape(key)}"?\s*=')
        for number in range(found, end):
            if pattern.search(lines[number]):
                found = number
                break
    return found + 1 if lines else 0


def _block(lines: list[str], path: tuple[str | int, ...]) -> tuple[int, int, tuple[str | int, ...]]:
    """The (start, end) line range of the table that holds ``path`` and the remaining keys."""
    headers = [(n, m.group(1)) for n, line in enumerate(lines) if (m := _HEADER.match(line))]
    best: tuple[int, int, tuple[str | int, ...]] = (0, len(lines), path)
    for depth in range(len(path), 0, -1):
        prefix = path[:depth]
        names = [str(p) for p in prefix if not isinstance(p, int)]
        index = next((p for p in reversed(prefix) if isinstance(p, int)), None)
        dotted = ".".join(names)
        matches = [n for n, name in headers if name == dotted]
        if not matches:
            continue
        pick = matches[index] if index is not None and index < len(matches) else matches[0]
        following = [n for n, _ in headers if n > pick]
        end = following[0] if following else len(lines)
        best = (pick, end, path[depth:])
        break
    return best
