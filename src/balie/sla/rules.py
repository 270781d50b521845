"""Service-level rules: how a target turns a start instant into a due instant (pure, no Django)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, Literal

from balie.sla.businesstime import (
    Calendar,
    CalendarError,
    add_business_minutes,
    add_wall_minutes,
    same_day_or_next_morning,
)

Kind = Literal["business_minutes", "wall_minutes", "same_day_or_next_morning"]
KINDS: tuple[Kind, ...] = ("business_minutes", "wall_minutes", "same_day_or_next_morning")


@dataclass(frozen=True)
class Rule:
    """One target: N business minutes, N wall-clock minutes, or same day / next morning."""

    kind: Kind
    minutes: int = 0
    cutoff: time | None = None
    next_morning: time | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise CalendarError(f"rule: unknown kind {self.kind!r} (one of {', '.join(KINDS)})")
        if self.kind == "same_day_or_next_morning":
            if self.cutoff is None or self.next_morning is None:
                raise CalendarError("rule: same_day_or_next_morning needs cutoff and next_morning")
        elif self.minutes <= 0:
            raise CalendarError(f"rule: {self.kind} needs a positive number of minutes")

    @classmethod
    def from_json(cls, data: Any) -> Rule:
        """A rule from ``{"business_minutes": 60}``, ``{"wall_minutes": 240}`` or
        ``{"same_day_or_next_morning": {"cutoff": "15:00", "next_morning": "12:00"}}``."""
        if not isinstance(data, Mapping) or len(data) != 1:
            raise CalendarError(f"rule: one of {', '.join(KINDS)}, got {data!r}")
        ((kind, value),) = data.items()
        if kind == "same_day_or_next_morning":
            if not isinstance(value, Mapping):
                raise CalendarError("rule: same_day_or_next_morning is {cutoff, next_morning}")
            return cls(
                kind="same_day_or_next_morning",
                cutoff=_clock("cutoff", value.get("cutoff")),
                next_morning=_clock("next_morning", value.get("next_morning")),
            )
        if kind in ("business_minutes", "wall_minutes"):
            if not isinstance(value, int) or isinstance(value, bool):
                raise CalendarError(f"rule: {kind} is a whole number of minutes")
            return cls(kind=kind, minutes=value)
        raise CalendarError(f"rule: unknown kind {kind!r} (one of {', '.join(KINDS)})")

    def to_json(self) -> dict[str, Any]:
        """The shape ``from_json`` reads."""
        if self.kind == "same_day_or_next_morning":
            assert self.cutoff is not None
            assert self.next_morning is not None
            return {
                self.kind: {
                    "cutoff": self.cutoff.strftime("%H:%M"),
                    "next_morning": self.next_morning.strftime("%H:%M"),
                }
            }
        return {self.kind: self.minutes}


def _clock(name: str, value: Any) -> time:
    if isinstance(value, str) and len(value) == 5 and value[2] == ":":
        try:
            return time.fromisoformat(value)
        except ValueError:
            pass
    raise CalendarError(f"rule: {name} is a HH:MM time, got {value!r}")


def due(cal: Calendar, at: datetime, rule: Rule) -> datetime:
    """When a target of ``rule`` started at ``at`` falls due on ``cal`` (or NoOpening)."""
    if rule.kind == "business_minutes":
        return add_business_minutes(cal, at, rule.minutes)
    if rule.kind == "wall_minutes":
        return add_wall_minutes(cal, at, rule.minutes)
    assert rule.cutoff is not None
    assert rule.next_morning is not None
    return same_day_or_next_morning(cal, at, rule.cutoff, rule.next_morning)
