"""Business time on the Dutch calendar: properties (hypothesis) and the named edges."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from balie.sla.businesstime import (
    Calendar,
    CalendarError,
    NoOpening,
    add_business_minutes,
    add_wall_minutes,
    always_open,
    business_minutes_between,
    closing_time,
    is_open,
    next_opening,
    same_day_or_next_morning,
)

AMS = ZoneInfo("Europe/Amsterdam")
WEEKDAYS = [["08:30", "12:30"], ["13:00", "17:00"]]
OFFICE = Calendar.from_json(
    {
        "timezone": "Europe/Amsterdam",
        "hours": dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), WEEKDAYS)
        | {"sat": [], "sun": []},
        "holidays": "NL",
        "closed": ["2026-12-24"],
        "open": [],
    }
)
NIGHT_AND_DAY = Calendar.from_json(
    {
        "timezone": "Europe/Amsterdam",
        "hours": {
            d: [["00:00", "02:30"], ["08:00", "24:00"]]
            for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        },
        "holidays": "NL",
        "closed": [],
        "open": ["2026-04-03"],
    }
)
CALENDARS = [OFFICE, NIGHT_AND_DAY, always_open("Europe/Amsterdam")]


def local(text: str) -> datetime:
    """An Amsterdam wall-clock time (unambiguous in these tests)."""
    return datetime.fromisoformat(text).replace(tzinfo=AMS)


# instants from 2025 to 2028, whole minutes: crosses every DST change, Easter and Christmas
instants = st.integers(0, 4 * 365 * 24 * 60).map(
    lambda m: datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=m)
)
calendars = st.sampled_from(CALENDARS)
minutes = st.integers(1, 5000)


@settings(max_examples=300, deadline=None)
@given(calendars, instants, minutes, minutes)
def test_adding_a_then_b_is_adding_a_plus_b(cal, at, a, b):
    """Adding a business minutes and then b lands where adding a + b lands."""
    assert add_business_minutes(cal, add_business_minutes(cal, at, a), b) == add_business_minutes(
        cal, at, a + b
    )


@settings(max_examples=300, deadline=None)
@given(calendars, instants, minutes, minutes)
def test_monotonic(cal, at, a, b):
    """More minutes, or a later start, never gives an earlier due time."""
    small, large = sorted((a, b))
    assert add_business_minutes(cal, at, small) <= add_business_minutes(cal, at, large)
    later = at + timedelta(minutes=b)
    assert add_business_minutes(cal, at, a) <= add_business_minutes(cal, later, a)


@settings(max_examples=300, deadline=None)
@given(calendars, instants, minutes)
def test_never_due_inside_a_closure(cal, at, n):
    """A due time is open time or the closing instant of a block, never inside a closure."""
    due = add_business_minutes(cal, at, n)
    assert is_open(cal, due - timedelta(microseconds=1))


@settings(max_examples=300, deadline=None)
@given(calendars, instants, minutes)
def test_elapsed_until_the_due_time_is_the_target(cal, at, n):
    """The business minutes between a start and its due time are the minutes added."""
    assert business_minutes_between(cal, at, add_business_minutes(cal, at, n)) == n


@settings(max_examples=200, deadline=None)
@given(calendars, instants, st.integers(0, 20000))
def test_elapsed_never_exceeds_wall_time(cal, at, n):
    """Business time between two instants is at most the real time between them."""
    end = add_wall_minutes(cal, at, n)
    assert 0 <= business_minutes_between(cal, at, end) <= n


@settings(max_examples=200, deadline=None)
@given(calendars, instants)
def test_next_opening_is_open_and_nothing_opens_before_it(cal, at):
    """The next opening is open, not before ``at``, and the calendar is closed until then."""
    opening = next_opening(cal, at)
    assert opening >= at
    assert is_open(cal, opening)
    assert business_minutes_between(cal, at, opening) == 0


def test_a_block_ends_at_its_closing_time():
    """Sixty minutes from 16:30 on a Tuesday: 30 that day and 30 the next morning."""
    assert add_business_minutes(OFFICE, local("2026-03-03 16:30"), 60) == local("2026-03-04 09:00")
    # exactly to the closing time: due at 17:00, not at the next opening
    assert add_business_minutes(OFFICE, local("2026-03-03 16:30"), 30) == local("2026-03-03 17:00")
    assert not is_open(OFFICE, local("2026-03-03 17:00"))
    assert is_open(OFFICE, local("2026-03-03 16:59"))


def test_lunch_break_and_weekend():
    """The lunch break does not count; Friday afternoon runs on into Monday."""
    assert add_business_minutes(OFFICE, local("2026-03-03 12:00"), 60) == local("2026-03-03 13:30")
    assert add_business_minutes(OFFICE, local("2026-03-06 16:00"), 120) == local("2026-03-09 09:30")
    assert next_opening(OFFICE, local("2026-03-07 11:00")) == local("2026-03-09 08:30")


def test_dst_spring_forward():
    """On 29 March 2026 02:00-03:00 does not exist; a wall time in the gap reads as before it."""
    # 02:30 does not exist and reads with the winter offset (02:30+01:00 = 03:30+02:00), as
    # Python and PostgreSQL read it: the 00:00-02:30 block is 23:00Z..01:30Z, 150 real minutes
    start = local("2026-03-29 00:00")
    assert business_minutes_between(NIGHT_AND_DAY, start, local("2026-03-29 08:00")) == 150
    assert add_business_minutes(NIGHT_AND_DAY, start, 150) == datetime(
        2026, 3, 29, 1, 30, tzinfo=UTC
    )
    # a block entirely inside the gap is no opening at all
    gap = Calendar(timezone="Europe/Amsterdam", hours={6: ((time(2), time(3)),)})
    assert closing_time(gap, date(2026, 3, 29)) is None
    assert closing_time(gap, date(2026, 4, 5)) == local("2026-04-05 03:00")
    # on a 24/7 calendar the spring day is 23 hours
    cal = always_open("Europe/Amsterdam")
    assert business_minutes_between(cal, local("2026-03-29 00:00"), local("2026-03-30 00:00")) == (
        23 * 60
    )
    assert add_business_minutes(cal, local("2026-03-29 01:30"), 60) == local("2026-03-29 03:30")


def test_dst_fall_back():
    """On 25 October 2026 the day has 25 hours and an 08:30-17:00 block is still 8.5 hours."""
    cal = always_open("Europe/Amsterdam")
    assert business_minutes_between(cal, local("2026-10-25 00:00"), local("2026-10-26 00:00")) == (
        25 * 60
    )
    # Friday 23 Oct 16:30 + 60: 30 on Friday, 30 on Monday 26 Oct (now +01:00)
    due = add_business_minutes(OFFICE, local("2026-10-23 16:30"), 60)
    assert due == local("2026-10-26 09:00")
    assert due.utcoffset() == timedelta(hours=1)
    assert closing_time(OFFICE, date(2026, 10, 26)) == datetime(2026, 10, 26, 16, 0, tzinfo=UTC)


def test_easter_and_good_friday_open_by_exception():
    """Good Friday and Easter Monday are closed on the NL calendar; `open` keeps Good Friday."""
    thursday = local("2026-04-02 16:30")
    assert add_business_minutes(OFFICE, thursday, 60) == local("2026-04-07 09:00")
    working_good_friday = Calendar(
        timezone=OFFICE.timezone,
        hours=OFFICE.hours,
        holidays_country="NL",
        open=frozenset({date(2026, 4, 3)}),
    )
    assert add_business_minutes(working_good_friday, thursday, 60) == local("2026-04-03 09:00")
    assert not is_open(working_good_friday, local("2026-04-06 10:00"))  # Easter Monday


def test_koningsdag():
    """Koningsdag is 27 April, or 26 April when the 27th is a Sunday (2025: 26th is a Saturday)."""
    assert not is_open(OFFICE, local("2026-04-27 10:00"))  # Monday 27 April 2026
    assert is_open(OFFICE, local("2026-04-28 10:00"))
    # 2031: 27 April is a Sunday, so Saturday 26th is Koningsdag: a weekday calendar open
    # every day shows it
    every_day = Calendar(
        timezone="Europe/Amsterdam",
        hours={d: ((time(9), time(17)),) for d in range(7)},
        holidays_country="NL",
    )
    assert not is_open(every_day, local("2031-04-26 10:00"))
    assert is_open(every_day, local("2031-04-27 10:00"))


def test_christmas_and_an_own_closed_day():
    """24 December is closed by the organisation, 25 and 26 by law: 23rd runs on to the 28th."""
    assert add_business_minutes(OFFICE, local("2026-12-23 16:00"), 90) == local("2026-12-28 09:00")
    assert closing_time(OFFICE, date(2026, 12, 24)) is None


def test_always_open_calendar():
    """A 24/7 calendar counts every minute, holidays and nights included."""
    cal = always_open("Europe/Amsterdam")
    assert cal.always_open
    assert not OFFICE.always_open
    at = local("2026-12-25 03:00")
    assert is_open(cal, at)
    assert next_opening(cal, at) == at
    assert add_business_minutes(cal, at, 600) == add_wall_minutes(cal, at, 600)
    assert same_day_or_next_morning(cal, at, time(15), time(12)) == local("2026-12-26 00:00")


def test_24_00_ends_the_day():
    """A block ending at 24:00 runs to midnight and joins the next day's 00:00 block."""
    assert is_open(NIGHT_AND_DAY, local("2026-03-03 23:59"))
    assert is_open(NIGHT_AND_DAY, local("2026-03-04 00:00"))
    assert add_business_minutes(NIGHT_AND_DAY, local("2026-03-03 23:30"), 60) == local(
        "2026-03-04 00:30"
    )
    assert NIGHT_AND_DAY.to_json()["hours"]["mon"] == [["00:00", "02:30"], ["08:00", "24:00"]]


def test_same_day_or_next_morning():
    """Before the cut-off on an open day: that day's closing; else next open day's morning."""
    rule = (time(15), time(12))
    assert same_day_or_next_morning(OFFICE, local("2026-03-03 07:00"), *rule) == local(
        "2026-03-03 17:00"
    )
    assert same_day_or_next_morning(OFFICE, local("2026-03-03 14:59"), *rule) == local(
        "2026-03-03 17:00"
    )
    assert same_day_or_next_morning(OFFICE, local("2026-03-03 15:00"), *rule) == local(
        "2026-03-04 12:00"
    )
    # Saturday before Easter: Sunday, Easter Monday closed, so Tuesday noon
    assert same_day_or_next_morning(OFFICE, local("2026-04-04 10:00"), *rule) == local(
        "2026-04-07 12:00"
    )
    # a cut-off later than closing: after the last closing it is the next morning
    assert same_day_or_next_morning(OFFICE, local("2026-03-03 17:30"), time(18), time(12)) == (
        local("2026-03-04 12:00")
    )


def test_no_opening_within_a_year():
    """A calendar without hours raises NoOpening instead of looping for ever."""
    never = Calendar(timezone="Europe/Amsterdam", hours={})
    with pytest.raises(NoOpening):
        add_business_minutes(never, local("2026-03-03 10:00"), 10)
    with pytest.raises(NoOpening):
        same_day_or_next_morning(never, local("2026-03-03 10:00"), time(15), time(12))
    assert business_minutes_between(never, local("2026-03-03 10:00"), local("2026-03-05")) == 0


def test_round_trip_and_hashable():
    """A calendar survives to_json/from_json and can key a cache."""
    assert Calendar.from_json(OFFICE.to_json()) == OFFICE
    assert hash(Calendar.from_json(OFFICE.to_json())) == hash(OFFICE)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "time zone"),
        ({"holidays": "XX"}, "country"),
        ({"hours": {"mon": []}}, "seven days"),
        ({"closed": ["2026-13-01"]}, "calendar.closed"),
        ({"colour": "red"}, "unknown calendar field"),
    ],
)
def test_bad_calendars_are_refused_with_the_reason(change, message):
    """Each bad field is named in the error."""
    data = OFFICE.to_json() | change
    with pytest.raises(CalendarError, match=message):
        Calendar.from_json(data)


@pytest.mark.parametrize(
    ("mon", "message"),
    [
        ([["17:00", "08:30"]], "ends after it starts"),
        ([["08:00", "12:00"], ["11:00", "13:00"]], "do not overlap"),
        ([["24:00", "24:00"]], "not a time of day"),
        ([["8:00", "12:00"]], "HH:MM"),
    ],
)
def test_bad_blocks_are_refused(mon, message):
    """Blocks run forward, in order, without overlap, as HH:MM; 24:00 only as an end."""
    data = OFFICE.to_json()
    data["hours"]["mon"] = mon
    with pytest.raises(CalendarError, match=message):
        Calendar.from_json(data)
