"""Shifts and opening hours (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

from balie.routing.shifts import is_open, next_opening, on_shift

WEEK = {d: [["08:30", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def test_day_and_night_shifts():
    """A day shift covers its hours; a night shift runs past midnight into the next day."""
    day = [{"days": ["mon"], "start": "08:00", "end": "17:00"}]
    night = [{"days": ["mon"], "start": "22:00", "end": "06:00"}]
    monday_noon = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    assert on_shift(day, monday_noon)
    assert not on_shift(day, datetime(2026, 3, 2, 17, 0, tzinfo=UTC))
    assert on_shift(night, datetime(2026, 3, 2, 23, 0, tzinfo=UTC))
    assert on_shift(night, datetime(2026, 3, 3, 5, 59, tzinfo=UTC))
    assert not on_shift(night, datetime(2026, 3, 3, 23, 0, tzinfo=UTC))
    assert on_shift([], monday_noon)


def test_next_opening_after_the_weekend():
    """On Saturday the next opening is Monday 08:30; during hours it is now."""
    saturday = datetime(2026, 3, 7, 11, 0, tzinfo=UTC)
    assert not is_open(WEEK, saturday)
    assert next_opening(WEEK, saturday) == datetime(2026, 3, 9, 8, 30, tzinfo=UTC)
    assert next_opening(WEEK, datetime(2026, 3, 9, 9, 0, tzinfo=UTC)) == datetime(
        2026, 3, 9, 9, 0, tzinfo=UTC
    )
    assert is_open({}, saturday)
