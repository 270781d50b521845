"""``balie sla due FILE.json``: due times for cases on one calendar, one JSON line per case."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from balie.sla.businesstime import Calendar, CalendarError, NoOpening
from balie.sla.rules import Rule, due


def answers(document: Any) -> Iterator[dict[str, str]]:
    """``{"id","due"}`` (or ``{"id","error"}`` without an opening) per case of the document.

    The whole document is checked before the first answer, so bad input prints nothing.
    """
    if not isinstance(document, Mapping) or set(document) != {"calendar", "cases"}:
        raise CalendarError('the file is {"calendar": {...}, "cases": [...]}')
    cal = Calendar.from_json(document["calendar"])
    cases = document["cases"]
    if not isinstance(cases, list):
        raise CalendarError("cases: a list")
    parsed: list[tuple[str, datetime, Rule]] = []
    for number, case in enumerate(cases):
        if not isinstance(case, Mapping) or set(case) != {"id", "at", "rule"}:
            raise CalendarError(f"cases[{number}]: {{id, at, rule}}")
        try:
            at = datetime.fromisoformat(case["at"])
        except (TypeError, ValueError) as error:
            raise CalendarError(f"cases[{number}].at: {error}") from error
        if at.tzinfo is None:
            raise CalendarError(f"cases[{number}].at: give the UTC offset, e.g. +02:00")
        parsed.append((str(case["id"]), at, Rule.from_json(case["rule"])))
    for case_id, at, rule in parsed:
        try:
            yield {"id": case_id, "due": due(cal, at, rule).isoformat()}
        except NoOpening:
            yield {"id": case_id, "error": "no opening within 366 days"}


def main(path: str) -> int:
    """Print the due times of the file at ``path``; exit status 2 on invalid input."""
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
        lines = list(answers(document))
    except (OSError, ValueError) as exc:  # CalendarError and JSONDecodeError are ValueErrors
        print(f"balie sla due: {exc}", file=sys.stderr)
        return 2
    for line in lines:
        print(json.dumps(line))
    return 0
