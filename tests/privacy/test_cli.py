"""``balie privacy scan`` through a subprocess, as the DESIGN.md contract states it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BALIE = Path(sys.executable).with_name("balie")


def scan(lines: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BALIE), "privacy", "scan"],
        check=False,
        input=lines,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_json_lines_in_and_out() -> None:
    """Each {"id","text"} line gives {"id","spans","redirect"}, offsets into the text."""
    text = "Mijn BSN is 111222333 en bel me op 0612345678"
    done = scan(
        json.dumps({"id": "a", "text": text}) + "\n" + json.dumps({"id": 7, "text": "hoi"}) + "\n"
    )
    assert done.returncode == 0, done.stderr
    first, second = (json.loads(line) for line in done.stdout.splitlines())
    assert first == {
        "id": "a",
        "spans": [
            {"start": 12, "end": 21, "kind": "bsn"},
            {"start": 35, "end": 45, "kind": "phone"},
        ],
        "redirect": True,
    }
    assert second == {"id": 7, "spans": [], "redirect": False}


def test_phone_alone_does_not_redirect() -> None:
    """A phone number or e-mail address alone is allowed on an unsafe channel."""
    done = scan(json.dumps({"id": "p", "text": "bel 06-12345678 of mail a@b.nl"}) + "\n")
    [result] = [json.loads(line) for line in done.stdout.splitlines()]
    assert [s["kind"] for s in result["spans"]] == ["phone", "email"]
    assert result["redirect"] is False


def test_bad_lines_are_reported_and_skipped() -> None:
    """A line that is not JSON or lacks text is named on stderr; the others still come out."""
    done = scan('not json\n{"id": 1}\n{"id": 2, "text": "geb. 1-2-1980"}\n')
    assert done.returncode == 1
    assert "line 1" in done.stderr
    assert "line 2" in done.stderr
    [result] = [json.loads(line) for line in done.stdout.splitlines()]
    assert result["id"] == 2
    assert result["redirect"] is True
