"""``balie sla due FILE.json``: the DESIGN.md contract, checked by hand."""

from __future__ import annotations

import json

from balie.cli import main

HOURS = [["08:30", "12:30"], ["13:00", "17:00"]]
CALENDAR = {
    "timezone": "Europe/Amsterdam",
    "hours": {"mon": HOURS, "tue": HOURS, "wed": HOURS, "thu": HOURS, "fri": HOURS}
    | {"sat": [], "sun": []},
    "holidays": "NL",
    "closed": ["2026-12-24"],
    "open": ["2026-04-03"],
}
CASES = [
    {"id": "a", "at": "2026-04-02T16:30:00+02:00", "rule": {"business_minutes": 60}},
    {
        "id": "b",
        "at": "2026-04-04T10:00:00+02:00",
        "rule": {"same_day_or_next_morning": {"cutoff": "15:00", "next_morning": "12:00"}},
    },
    {"id": "c", "at": "2026-04-04T10:00:00+02:00", "rule": {"wall_minutes": 240}},
]


def run(tmp_path, capsys, document):
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(document))
    status = main(["sla", "due", str(path)])
    out, err = capsys.readouterr()
    return status, [json.loads(line) for line in out.splitlines()], err


def test_the_design_example(tmp_path, capsys):
    """The example of DESIGN.md gives the due times worked out by hand below."""
    status, lines, _ = run(tmp_path, capsys, {"calendar": CALENDAR, "cases": CASES})
    assert status == 0
    assert lines == [
        # Thursday 2 April 16:30: 30 minutes until 17:00; Good Friday 3 April is a public
        # holiday but listed in `open`, so the other 30 run from 08:30 to 09:00
        {"id": "a", "due": "2026-04-03T09:00:00+02:00"},
        # Saturday 4 April is not an open day; Sunday has no hours and Monday 6 April is
        # Easter Monday, so the next open day is Tuesday 7 April, at the next_morning 12:00
        {"id": "b", "due": "2026-04-07T12:00:00+02:00"},
        # wall minutes ignore the hours: 10:00 + 4 hours
        {"id": "c", "due": "2026-04-04T14:00:00+02:00"},
    ]


def test_same_day_before_the_cutoff_and_the_winter_offset(tmp_path, capsys):
    """Before the cut-off: that day's closing; a date in winter prints +01:00."""
    cases = [
        {"id": "d", "at": "2026-12-23T14:00:00+01:00", "rule": CASES[1]["rule"]},
        # 23 Dec 16:00 + 90: 60 until 17:00; 24 Dec closed, 25 and 26 Christmas, 27 Sunday:
        # the last 30 on Monday 28 December 08:30-09:00
        {"id": "e", "at": "2026-12-23T16:00:00+01:00", "rule": {"business_minutes": 90}},
    ]
    status, lines, _ = run(tmp_path, capsys, {"calendar": CALENDAR, "cases": cases})
    assert status == 0
    assert lines == [
        {"id": "d", "due": "2026-12-23T17:00:00+01:00"},
        {"id": "e", "due": "2026-12-28T09:00:00+01:00"},
    ]


def test_no_opening_is_an_error_line(tmp_path, capsys):
    """A calendar that never opens answers {"id","error"} and still exits 0."""
    never = CALENDAR | {"hours": {day: [] for day in CALENDAR["hours"]}}
    status, lines, _ = run(tmp_path, capsys, {"calendar": never, "cases": CASES[:1]})
    assert status == 0
    assert lines == [{"id": "a", "error": "no opening within 366 days"}]


def test_bad_input_prints_nothing_and_says_why(tmp_path, capsys):
    """A bad case anywhere in the file exits 2 with the reason and no partial output."""
    bad = [*CASES, {"id": "z", "at": "2026-04-04T10:00:00", "rule": {"wall_minutes": 5}}]
    status, lines, err = run(tmp_path, capsys, {"calendar": CALENDAR, "cases": bad})
    assert status == 2
    assert lines == []
    assert "cases[3].at" in err
    assert "UTC offset" in err
    status, lines, err = run(
        tmp_path, capsys, {"calendar": CALENDAR, "cases": [CASES[0] | {"rule": {"hours": 1}}]}
    )
    assert status == 2
    assert "unknown kind" in err
