"""Business time on a calendar: opening hours per weekday, public holidays, closed and open days.

Pure functions over plain values (no Django). A calendar's opening blocks are local wall-clock
hours on each date, so a block of 08:30-17:00 is 8.5 real hours on an ordinary day and the
instants move with daylight saving time; minutes are always real elapsed minutes (a 00:00-24:00
day lasts 23 hours on the spring change and 25 on the autumn change). A wall time that does not
exist (the spring gap, 02:00-03:00) reads with the offset before the change, as Python (PEP 495,
fold=0) and PostgreSQL read it: 02:30 is 03:30 summer time; an ambiguous autumn time is its first
occurrence. Every instant given must be timezone-aware; every instant returned is in the
calendar's time zone.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_tables

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
END_OF_DAY = time(0, 0)
"""As a block's end, ``00:00`` stands for ``24:00``: the end of the day."""

# how far to look for an opening before giving up
HORIZON_DAYS = 366

Block = tuple[time, time]


class CalendarError(ValueError):
    """A calendar definition that cannot be used; the message says what is wrong."""


class NoOpening(Exception):
    """The calendar does not open within HORIZON_DAYS days of the instant asked about."""


@dataclass(frozen=True)
class Calendar:
    """Opening hours per weekday (0 = Monday), public holidays of a country, own exceptions.

    A block ``(start, end)`` is local wall-clock time; an ``end`` of ``time(0, 0)`` means 24:00.
    ``closed`` days are closed all day; ``open`` days are holidays the organisation works on
    anyway (at that weekday's hours). A day in both is closed.
    """

    timezone: str
    hours: Mapping[int, tuple[Block, ...]]
    holidays_country: str | None = None
    closed: frozenset[date] = field(default_factory=frozenset)
    open: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise CalendarError(f"unknown time zone {self.timezone!r}") from error
        if self.holidays_country is not None and self.holidays_country not in _countries():
            raise CalendarError(f"no public holidays known for country {self.holidays_country!r}")
        hours = {day: tuple(self.hours.get(day, ())) for day in range(7)}
        for day, blocks in hours.items():
            _check_blocks(DAYS[day], blocks)
        object.__setattr__(self, "hours", hours)
        # hashed once: every day's opening intervals are cached under the calendar
        key = (self.timezone, tuple(hours.values()), self.holidays_country, self.closed, self.open)
        object.__setattr__(self, "_hash", hash(key))

    def __hash__(self) -> int:
        return self._hash  # type: ignore[attr-defined, no-any-return]

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def always_open(self) -> bool:
        """Whether the calendar never closes (a 24/7 centre): every weekday 00:00-24:00."""
        full = ((time(0, 0), END_OF_DAY),)
        return (
            all(self.hours[day] == full for day in range(7))
            and not self.closed
            and self.holidays_country is None
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Calendar:
        """A calendar from the shape of DESIGN.md (``timezone``, ``hours`` of all seven days,
        ``holidays``, ``closed``, ``open``); raises CalendarError naming the bad field."""
        if not isinstance(data, Mapping):
            raise CalendarError("a calendar is an object")
        unknown = set(data) - {"timezone", "hours", "holidays", "closed", "open"}
        if unknown:
            raise CalendarError(f"unknown calendar field(s): {', '.join(sorted(unknown))}")
        timezone = data.get("timezone")
        if not isinstance(timezone, str):
            raise CalendarError("calendar.timezone: a time zone name such as Europe/Amsterdam")
        raw_hours = data.get("hours")
        if not isinstance(raw_hours, Mapping) or set(raw_hours) != set(DAYS):
            raise CalendarError(f"calendar.hours: give all seven days ({', '.join(DAYS)})")
        hours = {
            index: tuple(_parse_block(f"calendar.hours.{name}", b) for b in _list(raw_hours[name]))
            for index, name in enumerate(DAYS)
        }
        country = data.get("holidays")
        if country is not None and not isinstance(country, str):
            raise CalendarError("calendar.holidays: a country code such as NL, or null")
        return cls(
            timezone=timezone,
            hours=hours,
            holidays_country=country,
            closed=_dates("calendar.closed", data.get("closed", [])),
            open=_dates("calendar.open", data.get("open", [])),
        )

    def to_json(self) -> dict[str, Any]:
        """The DESIGN.md shape, so ``Calendar.from_json(cal.to_json()) == cal``."""
        return {
            "timezone": self.timezone,
            "hours": {
                DAYS[day]: [
                    [_clock(start), _clock(end, end=True)] for start, end in self.hours[day]
                ]
                for day in range(7)
            },
            "holidays": self.holidays_country,
            "closed": sorted(d.isoformat() for d in self.closed),
            "open": sorted(d.isoformat() for d in self.open),
        }


def always_open(timezone: str) -> Calendar:
    """A 24/7 calendar: open every minute of every day, holidays included."""
    full = ((time(0, 0), END_OF_DAY),)
    return Calendar(timezone=timezone, hours=dict.fromkeys(range(7), full))


# --- parsing -----------------------------------------------------------------------------------


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise CalendarError("calendar.hours: each day is a list of [start, end] pairs")
    return value


def _parse_clock(where: str, value: Any, *, end: bool) -> time:
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        raise CalendarError(f"{where}: {value!r} is not a HH:MM time")
    try:
        hours, minutes = int(value[:2]), int(value[3:])
    except ValueError as error:
        raise CalendarError(f"{where}: {value!r} is not a HH:MM time") from error
    if end and (hours, minutes) == (24, 0):
        return END_OF_DAY
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise CalendarError(f"{where}: {value!r} is not a time of day")
    return time(hours, minutes)


def _parse_block(where: str, value: Any) -> Block:
    if not isinstance(value, list) or len(value) != 2:
        raise CalendarError(f"{where}: a block is a pair [start, end], got {value!r}")
    return (_parse_clock(where, value[0], end=False), _parse_clock(where, value[1], end=True))


def _clock(value: time, *, end: bool = False) -> str:
    if end and value == END_OF_DAY:
        return "24:00"
    return value.strftime("%H:%M")


def _dates(where: str, value: Any) -> frozenset[date]:
    if not isinstance(value, list):
        raise CalendarError(f"{where}: a list of dates (YYYY-MM-DD)")
    try:
        return frozenset(date.fromisoformat(item) for item in value)
    except (TypeError, ValueError) as error:
        raise CalendarError(f"{where}: {error}") from error


def _minutes(value: time, *, end: bool = False) -> int:
    if end and value == END_OF_DAY:
        return 24 * 60
    return value.hour * 60 + value.minute


def _check_blocks(day: str, blocks: tuple[Block, ...]) -> None:
    previous_end = -1
    for start, end in blocks:
        begin, finish = _minutes(start), _minutes(end, end=True)
        if start.second or start.microsecond or end.second or end.microsecond:
            raise CalendarError(f"calendar.hours.{day}: blocks are whole minutes")
        if begin >= finish:
            raise CalendarError(f"calendar.hours.{day}: a block ends after it starts")
        if begin < previous_end:
            raise CalendarError(f"calendar.hours.{day}: blocks are in order and do not overlap")
        previous_end = finish


@functools.cache
def _countries() -> frozenset[str]:
    return frozenset(holiday_tables.list_supported_countries())


@functools.lru_cache(maxsize=256)
def public_holidays(country: str, year: int) -> frozenset[date]:
    """The public holidays of ``country`` in ``year`` (the ``holidays`` package), cached."""
    return frozenset(holiday_tables.country_holidays(country, years=year))


# --- the day's opening intervals -----------------------------------------------------------------


def is_open_day(cal: Calendar, day: date) -> bool:
    """Whether ``day`` has opening hours at all (not a weekday without hours, holiday or closed)."""
    return bool(_day_intervals(cal, day))


def _closed_all_day(cal: Calendar, day: date) -> bool:
    if day in cal.closed:
        return True
    if cal.holidays_country is None or day in cal.open:
        return False
    return day in public_holidays(cal.holidays_country, day.year)


@functools.lru_cache(maxsize=65536)
def _day_intervals(cal: Calendar, day: date) -> tuple[tuple[datetime, datetime], ...]:
    """The day's opening blocks as UTC instants; a block lost in the spring DST gap is dropped.

    UTC because Python compares and subtracts datetimes sharing one tzinfo by wall clock.
    """
    if _closed_all_day(cal, day):
        return ()
    zone = cal.zone
    intervals: list[tuple[datetime, datetime]] = []
    for start, end in cal.hours[day.weekday()]:
        begin = datetime.combine(day, start, tzinfo=zone)
        if end == END_OF_DAY:
            finish = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
        else:
            finish = datetime.combine(day, end, tzinfo=zone)
        begin, finish = begin.astimezone(UTC), finish.astimezone(UTC)
        if finish > begin:
            intervals.append((begin, finish))
    return tuple(intervals)


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("business time needs a timezone-aware instant")
    return at


def _intervals(
    cal: Calendar, at: datetime, until: datetime | None = None
) -> Iterator[tuple[datetime, datetime]]:
    """Opening intervals from ``at`` on (the first clipped to start at ``at``), in order.

    Stops after ``until`` when given; otherwise raises NoOpening after HORIZON_DAYS days
    without an opening.
    """
    zone = cal.zone
    moment = _aware(at).astimezone(UTC)
    day = moment.astimezone(zone).date()
    empty_days = 0
    while True:
        if (
            until is not None
            and datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC) >= until
        ):
            return
        found = False
        for begin, finish in _day_intervals(cal, day):
            found = True
            if finish <= moment:
                continue
            yield (max(begin, moment), finish)
        empty_days = 0 if found else empty_days + 1
        if empty_days > HORIZON_DAYS:
            raise NoOpening(f"no opening within {HORIZON_DAYS} days after {at.isoformat()}")
        day += timedelta(days=1)


# --- the public functions -----------------------------------------------------------------------


def is_open(cal: Calendar, at: datetime) -> bool:
    """Whether the calendar is open at ``at`` (a block includes its start, not its end)."""
    day = _aware(at).astimezone(cal.zone).date()
    moment = at.astimezone(UTC)
    return any(begin <= moment < finish for begin, finish in _day_intervals(cal, day))


def next_opening(cal: Calendar, at: datetime) -> datetime:
    """``at`` itself when open, otherwise the start of the next opening block."""
    for begin, _finish in _intervals(cal, at):
        return begin.astimezone(cal.zone)
    raise NoOpening  # pragma: no cover - _intervals raises first


def closing_time(cal: Calendar, day: date) -> datetime | None:
    """The day's last closing time, or None on a day without opening hours."""
    intervals = _day_intervals(cal, day)
    return intervals[-1][1].astimezone(cal.zone) if intervals else None


def add_business_minutes(cal: Calendar, at: datetime, minutes: int) -> datetime:
    """The instant the ``minutes``-th minute of opening time after ``at`` ends.

    Counting starts at ``at`` when open, else at the next opening; the result may be a block's
    closing time. Zero minutes gives ``at`` itself.
    """
    if minutes < 0:
        raise ValueError("business minutes cannot be negative")
    if minutes == 0:
        return _aware(at).astimezone(cal.zone)
    remaining = timedelta(minutes=minutes)
    for begin, finish in _intervals(cal, at):
        span = finish - begin
        if remaining <= span:
            return (begin + remaining).astimezone(cal.zone)
        remaining -= span
    raise NoOpening  # pragma: no cover - _intervals raises first


def add_wall_minutes(cal: Calendar, at: datetime, minutes: int) -> datetime:
    """``minutes`` real minutes after ``at``, whatever the opening hours."""
    return (_aware(at) + timedelta(minutes=minutes)).astimezone(cal.zone)


def business_minutes_between(cal: Calendar, start: datetime, end: datetime) -> float:
    """Minutes of opening time in [start, end); 0 when ``end`` is not after ``start``."""
    if _aware(end) <= _aware(start):
        return 0.0
    end = end.astimezone(UTC)
    total = timedelta()
    for begin, finish in _intervals(cal, start, until=end):
        if begin >= end:
            break
        total += min(finish, end) - begin
    return total / timedelta(minutes=1)


def same_day_or_next_morning(
    cal: Calendar, at: datetime, cutoff: time, next_morning: time
) -> datetime:
    """ "The same working day, or at the latest the next working morning".

    On an open day before both ``cutoff`` and the day's last closing time: due at that closing
    time. Otherwise at ``next_morning`` (local) on the next open day.
    """
    zone = cal.zone
    local = _aware(at).astimezone(zone)
    closing = closing_time(cal, local.date())
    if closing is not None and local.time() < cutoff and at.astimezone(UTC) < closing:
        return closing
    day = local.date() + timedelta(days=1)
    for _ in range(HORIZON_DAYS + 1):
        if _day_intervals(cal, day):
            # through UTC, so a morning in the spring gap becomes a real wall-clock time
            due = datetime.combine(day, next_morning, tzinfo=zone).astimezone(UTC)
            return due.astimezone(zone)
        day += timedelta(days=1)
    raise NoOpening(f"no open day within {HORIZON_DAYS} days after {at.isoformat()}")
