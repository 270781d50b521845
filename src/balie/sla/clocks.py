"""Computing a conversation's due times from its clock, policy and calendar.

``compute`` is the one place the due times come from: when the clock starts, on a pause and
resume, on a move and after a calendar change. Starts and pauses are stored; due times are
derived from them, so recomputing is always safe.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from balie.sla.businesstime import (
    Calendar,
    NoOpening,
    add_business_minutes,
    business_minutes_between,
)
from balie.sla.models import Clock, ClockState, Policy, Target
from balie.sla.rules import Rule, due

MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Subject:
    """What chooses a conversation's policy and calendar."""

    organisation_id: int
    channel_id: int | None
    team_id: int | None
    topic_id: int | None
    priority: int


def specificity(policy: Policy, subject: Subject) -> int:
    """How well ``policy`` fits (higher is better), or -1 when it does not apply."""
    score = 0
    for value, wanted, weight in (
        (policy.channel_id, subject.channel_id, 4),
        (policy.topic_id, subject.topic_id, 2),
        (policy.priority, subject.priority, 1),
    ):
        if value is None:
            continue
        if value != wanted:
            return -1
        score += weight
    return score


def policy_for(policies: Iterable[Policy], subject: Subject) -> Policy | None:
    """The most specific active policy of ``policies`` for ``subject`` (ties: lowest id)."""
    best: tuple[int, int] | None = None
    chosen = None
    for policy in policies:
        if not policy.active:
            continue
        score = specificity(policy, subject)
        if score >= 0 and (best is None or (score, -policy.pk) > best):
            best, chosen = (score, -policy.pk), policy
    return chosen


@functools.lru_cache(maxsize=1024)
def _parse(value: str) -> Rule:
    return Rule.from_json(json.loads(value))


def rule_of(policy: Policy | None, target: str) -> Rule | None:
    """The policy's rule for ``target``, or None when it promises nothing there."""
    if policy is None or not target:
        return None
    parsed: dict[str, Rule | None] | None = getattr(policy, "_parsed_rules", None)
    if parsed is None:
        parsed = {}
        policy._parsed_rules = parsed  # type: ignore[attr-defined]
    if target not in parsed:
        data = policy.rule_json(target)
        parsed[target] = None if data is None else _parse(json.dumps(data, sort_keys=True))
    return parsed[target]


def warning_instant(
    cal: Calendar, start: datetime, due_at: datetime, rule: Rule, percent: int
) -> datetime:
    """When ``percent`` of the target has passed: in business time, except for wall rules."""
    if rule.kind != "wall_minutes":
        total = (
            rule.minutes
            if rule.kind == "business_minutes"
            else business_minutes_between(cal, start, due_at)
        )
        if total > 0:
            return add_business_minutes(cal, start, max(1, round(total * percent / 100)))
    return start + (due_at - start) * percent / 100


def _due(cal: Calendar, start: datetime | None, rule: Rule | None) -> datetime | None:
    if start is None or rule is None:
        return None
    try:
        return due(cal, start, rule)
    except NoOpening:
        return None


def compute(clock: Clock, cal: Calendar, policy: Policy | None, now: datetime) -> None:
    """Derive the due and warning times and the state of ``clock`` (not saved).

    The response target runs from ``response_started_at``; the resolution target from
    ``started_at``, extended by the time spent waiting on the citizen (paused in pending) and
    stopped while paused. Warned and breached flags are cleared when a new due time lies
    ahead again, so the sweep announces a later warning or breach afresh.
    """
    clock.policy = policy
    response_rule = rule_of(policy, clock.response_target)
    clock.response_due_at = _due(cal, clock.response_started_at, response_rule)
    resolution_rule = None if clock.resolved_at else rule_of(policy, Target.RESOLUTION)
    resolution_due = _due(cal, clock.started_at, resolution_rule)
    if resolution_due is not None and resolution_rule is not None:
        if resolution_rule.kind == "wall_minutes":
            resolution_due += clock.paused_wall_minutes * MINUTE
        elif clock.paused_business_minutes >= 1:
            try:
                resolution_due = add_business_minutes(
                    cal, resolution_due, round(clock.paused_business_minutes)
                )
            except NoOpening:
                resolution_due = None
    clock.resolution_due_at = resolution_due
    running: list[tuple[datetime, str, datetime, Rule]] = []
    if clock.response_due_at and clock.response_started_at and response_rule:
        running.append(
            (clock.response_due_at, clock.response_target, clock.response_started_at, response_rule)
        )
    if resolution_due and resolution_rule and clock.paused_at is None:
        running.append((resolution_due, Target.RESOLUTION, clock.started_at, resolution_rule))
    if not running:
        clock.due_at = clock.warn_at = None
        clock.due_target = ""
        paused = clock.paused_at is not None and clock.resolved_at is None
        clock.state = ClockState.PAUSED if paused else ClockState.STOPPED
        return
    due_at, target, start, rule = min(running, key=lambda item: item[0])
    percent = policy.warning_percent if policy else 80
    clock.due_at, clock.due_target = due_at, target
    clock.warn_at = warning_instant(cal, start, due_at, rule, percent)
    clock.state = state_at(clock.due_at, clock.warn_at, now)
    if now < clock.due_at:
        clock.breached = False
    if now < clock.warn_at:
        clock.warned = False


def state_at(due_at: datetime | None, warn_at: datetime | None, now: datetime) -> str:
    """On time, warning or breached at ``now`` (stopped without a due time)."""
    if due_at is None:
        return ClockState.STOPPED
    if now >= due_at:
        return ClockState.BREACHED
    if warn_at is not None and now >= warn_at:
        return ClockState.WARNING
    return ClockState.ON_TIME


def taken(cal: Calendar, start: datetime, end: datetime) -> tuple[float, float]:
    """Business and wall minutes from ``start`` to ``end``."""
    return business_minutes_between(cal, start, end), max(0.0, (end - start) / MINUTE)


COMPUTED_FIELDS = [
    "policy",
    "response_due_at",
    "resolution_due_at",
    "due_at",
    "due_target",
    "warn_at",
    "state",
    "warned",
    "breached",
]
