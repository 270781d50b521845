"""Shifts and opening hours as pure functions over local (wall-clock) datetimes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, time, timedelta
from typing import Any

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    if int(hours) == 24:  # "24:00" means the end of the day
        return time.max
    return time(int(hours), int(minutes))


def _within(start: str, end: str, at: time) -> bool:
    begin, finish = _clock(start), _clock(end)
    if begin <= finish:
        return begin <= at < finish
    return at >= begin or at < finish  # a night shift past midnight


def on_shift(shifts: Sequence[Mapping[str, Any]], local: datetime) -> bool:
    """Whether ``local`` falls in one of the shifts; an agent without a roster is always on.

    A shift is ``{"days": ["mon", ...], "start": "08:00", "end": "17:00"}``; a shift that
    ends before it starts runs past midnight (its day is the day it starts).
    """
    if not shifts:
        return True
    today = DAYS[local.weekday()]
    yesterday = DAYS[(local.weekday() - 1) % 7]
    at = local.time()
    for shift in shifts:
        days = shift.get("days") or list(DAYS)
        start, end = str(shift["start"]), str(shift["end"])
        overnight = _clock(start) > _clock(end)
        if today in days and _within(start, "24:00" if overnight else end, at):
            return True
        if overnight and yesterday in days and at < _clock(end):
            return True
    return False


def is_open(hours: Mapping[str, Sequence[Sequence[str]]], local: datetime) -> bool:
    """Whether the organisation is open (``{"mon": [["08:30","17:00"]], ...}``; empty: 24/7)."""
    if not hours:
        return True
    return any(
        _within(start, end, local.time()) for start, end in hours.get(DAYS[local.weekday()], [])
    )


def next_opening(hours: Mapping[str, Sequence[Sequence[str]]], local: datetime) -> datetime | None:
    """When the organisation next opens after ``local`` (``local`` if open; None if never)."""
    if is_open(hours, local):
        return local
    for offset in range(8):
        day = (local + timedelta(days=offset)).date()
        for start, _end in sorted(hours.get(DAYS[day.weekday()], []), key=lambda r: r[0]):
            opening = datetime.combine(day, _clock(start), tzinfo=local.tzinfo)
            if opening > local:
                return opening
    return None
