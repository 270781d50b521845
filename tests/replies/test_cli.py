"""``balie text analyse`` through a real subprocess: the DESIGN.md contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BALIE = Path(sys.executable).with_name("balie")


def run(stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BALIE), "text", "analyse", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_analyse_prints_one_json_line_per_message_in_order() -> None:
    """Each input line gets {id, language, tone, abusive}; null when unsure or without cue."""
    lines = [
        {"id": 1, "text": "Hola, necesito ayuda con mi pasaporte, por favor"},
        {"id": "b", "text": "Geachte heer, kunt u mij helpen met mijn aanvraag?"},
        {"id": 3, "text": "Hoi, kun je me even terugbellen? 😊"},
        {"id": 4, "text": "Ik weet waar je woont"},
        {"id": 5, "text": "ok"},
    ]
    done = run("".join(json.dumps(x) + "\n" for x in lines), "--languages", "nl,en,es")
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert out == [
        {"id": 1, "language": "es", "tone": None, "abusive": False},
        {"id": "b", "language": "nl", "tone": "u", "abusive": False},
        {"id": 3, "language": "nl", "tone": "je", "abusive": False},
        {"id": 4, "language": "nl", "tone": "je", "abusive": True},
        {"id": 5, "language": None, "tone": None, "abusive": False},
    ]


def test_bad_input_is_named_and_nothing_is_printed() -> None:
    """A line that is not {id, text} fails the run with its line number; no partial output."""
    done = run('{"id": 1, "text": "Goedemorgen"}\nnot json\n', "--languages", "nl,en")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "line 2" in done.stderr


def test_an_unknown_language_is_refused() -> None:
    """--languages with a code lingua does not know is a clear error."""
    done = run('{"id": 1, "text": "Bon dia"}\n', "--languages", "nl,pap")
    assert done.returncode == 2
    assert "pap" in done.stderr
