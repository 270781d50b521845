"""``balie privacy scan``: JSON lines ``{"id","text"}`` on stdin, JSON lines
``{"id","spans":[{"start","end","kind"}],"redirect":bool}`` on stdout (DESIGN.md)."""

from __future__ import annotations

import json
import sys
from typing import IO, Any

from balie.privacy.detection.scan import scan


def _items(stream: IO[str], errors: list[str]) -> Any:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"line {number}: not JSON ({exc.msg})")
            continue
        if not isinstance(item, dict) or "id" not in item or not isinstance(item.get("text"), str):
            errors.append(f'line {number}: expected {{"id": …, "text": "…"}}')
            continue
        yield item


def main(stdin: IO[str] | None = None, stdout: IO[str] | None = None) -> int:
    """Scan every line; a bad line is reported on stderr and skipped (exit status 1)."""
    source = stdin if stdin is not None else sys.stdin
    sink = stdout if stdout is not None else sys.stdout
    errors: list[str] = []
    for result in scan(_items(source, errors)):
        sink.write(json.dumps(result, ensure_ascii=False) + "\n")
    for error in errors:
        sys.stderr.write(f"balie privacy scan: {error}\n")
    return 1 if errors else 0
