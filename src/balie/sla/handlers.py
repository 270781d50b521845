"""The service-level clock's reactions to events, its sweep and its bulk recompute.

Registered in ``balie.handlers``; nothing here edits a conversation. Every function owns its
transaction and locks the clocks it changes (``select_for_update``) in conversation order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

import structlog
from django.db import connection, transaction
from django.db.models import F, Field, Q

from balie.conversations.events import (
    ConversationChanged,
    ConversationStatusChanged,
    MessageReceived,
    ReplyQueued,
)
from balie.conversations.models import Conversation, Direction, Message
from balie.conversations.workflow import Status
from balie.core import clock as wall
from balie.core.events import batch, publish
from balie.sla.calendars import calendar_for
from balie.sla.clocks import COMPUTED_FIELDS, Subject, compute, policy_for, rule_of, taken
from balie.sla.events import CalendarChanged, SlaBreached, SlaWarning
from balie.sla.models import Clock, ClockState, Outcome, Policy, Target

log = structlog.get_logger(__name__)
STOPPED = {Status.RESOLVED, Status.CLOSED}
MOVES = {"topic", "team", "channel", "priority"}
SWEEP_LIMIT = 1000


def _subjects(conversation_ids: Iterable[int]) -> dict[int, tuple[Subject, str]]:
    rows = Conversation.objects.filter(pk__in=list(conversation_ids)).values_list(
        "pk", "organisation_id", "channel_id", "team_id", "topic_id", "priority", "status"
    )
    return {
        pk: (Subject(org, channel, team, topic, priority), status)
        for pk, org, channel, team, topic, priority, status in rows
    }


class _Policies:
    """The active policies of each organisation, read once per handler run."""

    def __init__(self) -> None:
        self._by_org: dict[int, list[Policy]] = {}

    def for_subject(self, subject: Subject) -> Policy | None:
        org = subject.organisation_id
        if org not in self._by_org:
            self._by_org[org] = list(Policy.objects.filter(organisation_id=org, active=True))
        return policy_for(self._by_org[org], subject)


def _recompute(clock: Clock, subject: Subject, policies: _Policies, now: datetime) -> None:
    cal = calendar_for(subject.organisation_id, subject.team_id, subject.channel_id)
    compute(clock, cal, policies.for_subject(subject), now)


def _locked_clocks(conversation_ids: Iterable[int]) -> dict[int, Clock]:
    return {
        c.conversation_id: c
        for c in Clock.objects.select_for_update(no_key=True, of=("self",))
        .select_related("policy")  # an outcome names the rule its due time came from
        .filter(conversation_id__in=list(conversation_ids))
        .order_by("conversation_id")
    }


def _outcome(clock: Clock, subject: Subject, target: str, start: datetime, at: datetime) -> Outcome:
    """The reporting fact of one target ending at ``at`` (met when not after its due time)."""
    cal = calendar_for(subject.organisation_id, subject.team_id, subject.channel_id)
    due_at = clock.response_due_at if target != Target.RESOLUTION else clock.resolution_due_at
    business, wall_minutes = taken(cal, start, at)
    if target == Target.RESOLUTION:  # waiting on the citizen does not count
        business = max(0.0, business - clock.paused_business_minutes)
        wall_minutes = max(0.0, wall_minutes - clock.paused_wall_minutes)
    rule = rule_of(clock.policy, target)
    assert due_at is not None
    assert rule is not None
    return Outcome(
        organisation_id=subject.organisation_id,
        conversation_id=clock.conversation_id,
        policy=clock.policy,
        target=target,
        kind=rule.kind,
        met=at <= due_at,
        started_at=start,
        due_at=due_at,
        completed_at=at,
        business_minutes=business,
        wall_minutes=wall_minutes,
    )


def _first_per_conversation(messages: Q) -> dict[int, datetime]:
    """The time of the first of these messages in each conversation."""
    first: dict[int, datetime] = {}
    for conversation_id, created_at in (
        Message.objects.filter(messages)
        .order_by("created_at", "pk")
        .values_list("conversation_id", "created_at")
    ):
        first.setdefault(conversation_id, created_at)
    return first


def on_messages_received(evts: list[MessageReceived]) -> None:
    """Start the clock of a new conversation (first response, resolution), or the next
    response when the citizen writes again after an answer; a resolved conversation that
    is written to again starts afresh."""
    first = _first_per_conversation(
        Q(pk__in=[e.message_id for e in evts], direction=Direction.INBOUND)
    )
    if not first:
        return
    now = wall.now()
    policies = _Policies()
    with transaction.atomic():
        subjects = _subjects(first)
        clocks = _locked_clocks(first)
        new: list[Clock] = []
        changed: list[Clock] = []
        for conversation_id, at in sorted(first.items()):
            if conversation_id not in subjects:
                continue
            subject, _status = subjects[conversation_id]
            found = clocks.get(conversation_id)
            if found is None:
                found = Clock(
                    conversation_id=conversation_id,
                    organisation_id=subject.organisation_id,
                    started_at=at,
                    response_target=Target.FIRST_RESPONSE,
                    response_started_at=at,
                )
                new.append(found)
            elif found.resolved_at is not None:  # reopened: a new question, a new promise
                found.started_at = at
                found.resolved_at = found.paused_at = None
                found.paused_business_minutes = found.paused_wall_minutes = 0
                found.response_target, found.response_started_at = Target.NEXT_RESPONSE, at
                changed.append(found)
            elif not found.response_target:
                found.response_target, found.response_started_at = Target.NEXT_RESPONSE, at
                changed.append(found)
            else:
                continue  # already waiting for an answer: the first unanswered message counts
            _recompute(found, subject, policies, now)
        Clock.objects.bulk_create(new, ignore_conflicts=True)  # another worker's start wins
        save_computed(changed, [*COMPUTED_FIELDS, *_START_FIELDS])


_START_FIELDS = [
    "started_at",
    "resolved_at",
    "paused_at",
    "paused_business_minutes",
    "paused_wall_minutes",
    "response_target",
    "response_started_at",
]


def on_replies_queued(evts: list[ReplyQueued]) -> None:
    """An agent's answer meets (or misses) the response target: record it, stop that part."""
    answers = _first_per_conversation(Q(pk__in=[e.message_id for e in evts], author__isnull=False))
    if not answers:
        return
    now = wall.now()
    policies = _Policies()
    with transaction.atomic():
        subjects = _subjects(answers)
        clocks = _locked_clocks(answers)
        outcomes: list[Outcome] = []
        changed: list[Clock] = []
        for conversation_id, at in sorted(answers.items()):
            found = clocks.get(conversation_id)
            if found is None or not found.response_target or conversation_id not in subjects:
                continue
            subject = subjects[conversation_id][0]
            if found.response_due_at and found.response_started_at:
                outcomes.append(
                    _outcome(found, subject, found.response_target, found.response_started_at, at)
                )
            found.response_target, found.response_started_at = "", None
            _recompute(found, subject, policies, now)
            changed.append(found)
        Outcome.objects.bulk_create(outcomes)
        save_computed(changed, [*COMPUTED_FIELDS, *_START_FIELDS])


def wants_status_change(payload: dict[str, Any]) -> bool:
    """Only pending (pause, resume), resolved and closed move the clock (asked at publish
    time: no task for routing's own new → queued → assigned)."""
    return payload["from_status"] == Status.PENDING or payload["to_status"] in (
        Status.PENDING,
        *STOPPED,
    )


def on_statuses_changed(evts: list[ConversationStatusChanged]) -> None:
    """Pause in pending, resume after it; resolving records the resolution; closing stops.

    A batch handler: the events apply in order, each at the time it is handled (a worker
    takes them within seconds; the pause is counted in business minutes)."""
    now = wall.now()
    ids = sorted({e.conversation_id for e in evts})
    policies = _Policies()
    with transaction.atomic():
        clocks = _locked_clocks(ids)
        subjects = _subjects(clocks)
        outcomes: list[Outcome] = []
        for evt in evts:
            found = clocks.get(evt.conversation_id)
            if found is None or evt.conversation_id not in subjects:
                continue
            _apply_status(found, subjects[evt.conversation_id][0], evt, now, outcomes)
        for conversation_id, found in clocks.items():
            if conversation_id in subjects:
                _recompute(found, subjects[conversation_id][0], policies, now)
        Outcome.objects.bulk_create(outcomes)
        save_computed(list(clocks.values()), [*COMPUTED_FIELDS, *_START_FIELDS])


def _apply_status(
    found: Clock,
    subject: Subject,
    evt: ConversationStatusChanged,
    now: datetime,
    outcomes: list[Outcome],
) -> None:
    if evt.from_status == Status.PENDING and found.paused_at is not None:
        cal = calendar_for(subject.organisation_id, subject.team_id, subject.channel_id)
        business, wall_minutes = taken(cal, found.paused_at, now)
        found.paused_business_minutes += business
        found.paused_wall_minutes += wall_minutes
        found.paused_at = None
    if evt.to_status == Status.PENDING and found.resolved_at is None:
        found.paused_at = now
    if evt.to_status in STOPPED and found.resolved_at is None:
        if evt.to_status == Status.RESOLVED and found.resolution_due_at:
            outcomes.append(_outcome(found, subject, Target.RESOLUTION, found.started_at, now))
        found.resolved_at = now
        found.response_target, found.response_started_at = "", None


def on_conversations_changed(evts: list[ConversationChanged]) -> None:
    """A move (topic, team) may change the policy and the calendar: recompute (a batch)."""
    moved = sorted({e.conversation_id for e in evts if e.field in MOVES})
    if moved:
        recompute_conversations(moved)


def wants_change(payload: dict[str, Any]) -> bool:
    """Only moves change due times (asked at publish time: no task for a label edit)."""
    return payload.get("field") in MOVES


def recompute_conversations(conversation_ids: list[int]) -> int:
    """Recompute the clocks of these conversations from their stored starts; the count."""
    now = wall.now()
    policies = _Policies()
    with transaction.atomic():
        subjects = _subjects(conversation_ids)
        clocks = _locked_clocks(conversation_ids)
        for conversation_id, found in clocks.items():
            if conversation_id in subjects:
                _recompute(found, subjects[conversation_id][0], policies, now)
        save_computed(list(clocks.values()))
    return len(clocks)


def on_calendar_changed(evt: CalendarChanged) -> None:
    """After a calendar change, every running clock of the organisation in one pass."""
    count = recompute_organisation(evt.organisation_id)
    log.info("sla_recomputed", organisation_id=evt.organisation_id, clocks=count)


RUNNING = Q(resolved_at__isnull=True) | ~Q(response_target="")


def recompute_organisation(organisation_id: int, *, chunk: int = 2000) -> int:
    """Recompute every running clock of an organisation, ``chunk`` clocks per transaction
    (one read with the conversations' fields, one bulk update); the number recomputed."""
    policies = _Policies()
    last = 0
    count = 0
    while True:
        now = wall.now()
        with transaction.atomic():
            rows = list(
                Clock.objects.select_for_update(no_key=True, of=("self",))
                .filter(RUNNING, organisation_id=organisation_id, conversation_id__gt=last)
                .annotate(
                    c_channel=F("conversation__channel_id"),
                    c_team=F("conversation__team_id"),
                    c_topic=F("conversation__topic_id"),
                    c_priority=F("conversation__priority"),
                )
                .order_by("conversation_id")[:chunk]
            )
            if not rows:
                return count
            for row in rows:
                subject = Subject(
                    organisation_id, row.c_channel, row.c_team, row.c_topic, row.c_priority
                )
                _recompute(row, subject, policies, now)
            save_computed(rows)
        count += len(rows)
        last = rows[-1].conversation_id


def save_computed(rows: Sequence[Clock], fields: list[str] = COMPUTED_FIELDS) -> None:
    """Write ``fields`` of many clocks: one prepared UPDATE executed per row in one batch
    (psycopg pipelines it). ``bulk_update``'s CASE per field took 95 % of a recompute, and
    one ``UPDATE … FROM (VALUES …)`` was slower still on PostgreSQL 15 (benchmarks/sla.py)."""
    if not rows:
        return
    ops = connection.ops
    columns = [cast("Field[Any, Any]", Clock._meta.get_field(name)) for name in fields]
    table = ops.quote_name(Clock._meta.db_table)
    assignments = ", ".join(f"{ops.quote_name(str(c.column))} = %s" for c in columns)
    key = ops.quote_name("conversation_id")
    sql = f"UPDATE {table} SET {assignments} WHERE {key} = %s"  # noqa: S608 - names from the model
    params = [
        [*(c.get_db_prep_save(getattr(row, c.attname), connection) for c in columns), row.pk]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def sweep() -> int:
    """Flag the clocks that passed their warning or due time, publish SlaWarning or
    SlaBreached for each (a realtime refresh of the workspace); the number flagged."""
    now = wall.now()
    with transaction.atomic(), batch():
        rows = list(
            Clock.objects.select_for_update(no_key=True, skip_locked=True)
            .filter(
                Q(breached=False, due_at__lte=now) | Q(warned=False, warn_at__lte=now),
                due_at__isnull=False,
            )
            .order_by("due_at")[:SWEEP_LIMIT]
        )
        for row in rows:
            assert row.due_at is not None
            fields: dict[str, Any] = {
                "conversation_id": row.conversation_id,
                "target": row.due_target,
                "due_at": row.due_at.isoformat(),
                "organisation_id": row.organisation_id,
            }
            if row.due_at <= now:
                row.breached = row.warned = True
                row.state = ClockState.BREACHED
                publish(SlaBreached(**fields))
            else:
                row.warned = True
                row.state = ClockState.WARNING
                publish(SlaWarning(**fields))
        save_computed(rows, ["breached", "warned", "state"])
    if rows:
        log.info("sla_swept", flagged=len(rows))
    return len(rows)
