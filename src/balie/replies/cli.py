"""``balie text analyse``: language, tone and abuse flag of JSON-lines messages.

Input: one ``{"id", "text"}`` per line on stdin. Output: one ``{"id", "language", "tone",
"abusive"}`` per line on stdout, in input order (the contract in DESIGN.md). Every line is
checked before anything is written: a bad line is named on stderr and nothing is printed.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from typing import IO, Any

from balie.replies.analysis import abusive, language, tone
from balie.replies.analysis.language import supported


class InputError(ValueError):
    """A line of the input that is not ``{"id", "text"}``."""


def parse(lines: Iterable[str]) -> list[dict[str, Any]]:
    """The messages of ``lines`` (blank lines skipped); :class:`InputError` names a bad one."""
    out = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"line {number}: not JSON ({exc.msg})") from None
        if not isinstance(item, dict) or "id" not in item:
            raise InputError(f'line {number}: expected an object with "id" and "text"')
        if not isinstance(item.get("text"), str):
            raise InputError(f'line {number}: "text" must be a string')
        out.append(item)
    return out


def analyse(item: dict[str, Any], languages: tuple[str, ...]) -> dict[str, Any]:
    """One output line for one message."""
    text = item["text"]
    return {
        "id": item["id"],
        "language": language(text, languages).language,
        "tone": tone([text])[0],
        "abusive": abusive(text)[0],
    }


def default_languages() -> tuple[str, ...]:
    """The organisation's languages (the first organisation in the database), else nl, en."""
    try:
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "balie.conf.settings")
        django.setup()
        from balie.organisations.models import Organisation

        organisation = Organisation.objects.order_by("pk").first()
    except Exception:  # no database, no migrations: the command still works on text alone
        return ("nl", "en")
    return (
        tuple(organisation.languages) if organisation and organisation.languages else ("nl", "en")
    )


def main(languages: str | None, stdin: IO[str] | None = None, stdout: IO[str] | None = None) -> int:
    """Run the command; 0 on success, 2 on bad input or an unknown language."""
    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    codes = tuple(c.strip().lower() for c in languages.split(",") if c.strip()) if languages else ()
    if languages is not None:
        unknown = sorted(set(codes) - set(supported(codes)))
        if not codes or unknown:
            print(f"balie text analyse: unknown language(s): {', '.join(unknown)}", file=sys.stderr)
            return 2
    try:
        items = parse(stdin)
    except InputError as exc:
        print(f"balie text analyse: {exc}", file=sys.stderr)
        return 2
    codes = codes or default_languages()
    for item in items:
        stdout.write(json.dumps(analyse(item, codes), ensure_ascii=False) + "\n")
    stdout.flush()
    return 0
