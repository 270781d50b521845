"""The routing board: agents' profiles and current load, read from the database.

The board is what :mod:`balie.routing.selection` ranks over. It is cached per process for a few
seconds (profiles change rarely); every claim re-checks the chosen agent under a row lock, so
a stale board can cost a retry but never an over-assignment.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Model

from balie.channels.models import Channel
from balie.conversations.models import Conversation
from balie.conversations.workflow import Status
from balie.core.sql import Statement, any_of, fetch_statements
from balie.organisations.models import Agent, Organisation, Presence, Topic
from balie.routing import selection as sel
from balie.routing.models import (
    AgentChannel,
    AgentLanguage,
    AgentRoutingState,
    AgentSkill,
    AgentTraining,
    Offer,
    OfferOutcome,
    QueueEntry,
    RoutingSettings,
    Training,
)
from balie.routing.needs import steps_for_organisation
from balie.routing.shifts import on_shift

BOARD_TTL_S = 5.0
#: The channel kind that is never combined with another (a call needs full attention).
CALL_KIND = "phone"


def settings_for(organisation_id: int) -> RoutingSettings:
    """The organisation's routing settings, or the defaults (unsaved) when it has none."""
    found = RoutingSettings.objects.filter(organisation_id=organisation_id).first()
    return found or RoutingSettings(organisation_id=organisation_id)


def mixing_for(settings: RoutingSettings) -> sel.Mixing:
    """Channel mixing: a call blocks written contacts unless the organisation allows them."""
    return sel.Mixing(
        blocking=frozenset() if settings.chats_during_call else frozenset({CALL_KIND})
    )


def agent_load_statement(agent_ids: list[int]) -> Statement:
    """The load count for some agents (rows: agent, kind, count; read
    them with :func:`count_loads`). Raw: this runs under the agents' locks in every claim, and
    the ORM's compilation of the union cost more than the database's work."""
    assigned, assigned_ids = any_of("c.assignee_id", agent_ids)
    offered, offered_ids = any_of("o.agent_id", agent_ids)
    return _load_sql(assigned, offered), [
        Status.ASSIGNED.value,
        *assigned_ids,
        OfferOutcome.PENDING.value,
        *offered_ids,
    ]


def _organisation_load_statement(organisation_id: int) -> Statement:
    """:func:`agent_load_statement` for every agent of the organisation."""
    sql = _load_sql(
        "c.organisation_id = %s AND c.assignee_id IS NOT NULL", "e.organisation_id = %s"
    )
    return sql, [
        Status.ASSIGNED.value,
        organisation_id,
        OfferOutcome.PENDING.value,
        organisation_id,
    ]


def _load_sql(assigned: str, offered: str) -> str:
    """Assigned conversations and pending offers per agent and channel kind, for the agents
    the two conditions select (on ``c``, the conversation, and ``o``/``e``, offer and entry)."""
    quote = connection.ops.quote_name
    conv, chan = quote(Conversation._meta.db_table), quote(Channel._meta.db_table)
    offer, entry = quote(Offer._meta.db_table), quote(QueueEntry._meta.db_table)
    # Table names from the models' meta; every value is a parameter.
    return (
        f"SELECT c.assignee_id, ch.kind, COUNT(*) FROM {conv} c"  # noqa: S608
        f" INNER JOIN {chan} ch ON c.channel_id = ch.id"
        f" WHERE c.status = %s AND {assigned}"
        " GROUP BY c.assignee_id, ch.kind"
        f" UNION ALL SELECT o.agent_id, e.channel_kind, COUNT(*) FROM {offer} o"
        f" INNER JOIN {entry} e ON o.entry_id = e.id"
        f" WHERE o.outcome = %s AND {offered}"
        " GROUP BY o.agent_id, e.channel_kind"
    )


def count_loads(rows: list[tuple[Any, ...]]) -> dict[int, dict[str, int]]:
    """Contacts per agent and channel kind from the rows of :func:`agent_load_statement`."""
    counts: dict[int, dict[str, int]] = {}
    for agent, kind, n in rows:
        per = counts.setdefault(agent, {})
        per[kind] = per.get(kind, 0) + n
    return counts


@dataclass
class Board:
    """Present agents of one organisation with profiles and state, at ``now``."""

    organisation: Organisation
    settings: RoutingSettings
    now: datetime
    profiles: dict[int, sel.AgentProfile]
    states: dict[int, sel.AgentState]
    rare: dict[str, float]
    steps: dict[int, list[sel.Step]] = field(default_factory=dict)
    loaded_at: float = field(default_factory=time.monotonic)
    _qualified: dict[sel.Need, list[int]] = field(default_factory=dict)
    _fixed: dict[sel.Need, dict[sel.AgentId, float]] = field(default_factory=dict)
    _on_shift: dict[sel.Need, int] = field(default_factory=dict)

    @property
    def mixing(self) -> sel.Mixing:
        return mixing_for(self.settings)

    def qualified(self, need: sel.Need) -> list[int]:
        """Agents whose profile meets ``need`` (cached: profiles do not change within a board)."""
        key = replace(need, priority=0)
        if key not in self._qualified:
            self._qualified[key] = [a for a, p in self.profiles.items() if sel.qualifies(p, key)]
        return self._qualified[key]

    def fixed(self, need: sel.Need) -> dict[sel.AgentId, float]:
        """:func:`~balie.routing.selection.profile_score` of each qualified agent for ``need``
        (cached: it depends on the profiles and the rarities alone)."""
        key = replace(need, priority=0)
        if key not in self._fixed:
            profiles, rare = self.profiles, self.rare
            self._fixed[key] = {
                a: sel.profile_score(profiles[a], key, rare) for a in self.qualified(key)
            }
        return self._fixed[key]

    def candidates(
        self, need: sel.Need, skip: set[int] | frozenset[int] = frozenset()
    ) -> list[tuple[sel.AgentProfile, sel.AgentState]]:
        """Qualified agents with their current state, except ``skip``."""
        profiles, states = self.profiles, self.states
        if not skip:
            return [(profiles[a], states[a]) for a in self.qualified(need)]
        return [(profiles[a], states[a]) for a in self.qualified(need) if a not in skip]

    def count_on_shift(self, need: sel.Need) -> int:
        """How many agents on shift are qualified for ``need`` (busy or not; cached: who is
        on shift does not change within a board)."""
        key = replace(need, priority=0)
        if key not in self._on_shift:
            self._on_shift[key] = sum(1 for a in self.qualified(key) if self.states[a].on_shift)
        return self._on_shift[key]

    def note(self, agent_id: int, kind: str, at: datetime) -> None:
        """Mirror an assignment in memory so the next decision in this batch sees it."""
        self.states[agent_id] = self.states[agent_id].given(kind, at.timestamp())


def load_board(organisation: Organisation, now: datetime) -> Board:
    """Read every present agent's profile, valid trainings, capacity, routing state and load:
    the agents with their routing states, then the rest in one round trip on PostgreSQL (five
    raw statements), then the settings and escalation steps."""
    local = now.astimezone(ZoneInfo(organisation.time_zone))
    # With each agent's routing state (a LEFT JOIN: it may not exist yet).
    agents = list(
        Agent.objects.filter(organisation=organisation, presence=Presence.AVAILABLE).values_list(
            "id",
            "shifts",
            "is_supervisor",
            "presence_changed_at",
            "routing_state__id",
            "routing_state__last_assigned_at",
            "routing_state__day",
            "routing_state__handled_today",
        )
    )
    rows = fetch_statements(
        [
            *_profile_statements(organisation.pk, local.date()),
            _organisation_load_statement(organisation.pk),
        ]
    )
    languages: dict[int, dict[str, int]] = {}
    for agent, code, level in rows[0]:
        languages.setdefault(agent, {})[code] = level
    skills: dict[int, dict[str, int]] = {}
    for agent, code, level in rows[1]:
        skills.setdefault(agent, {})[code] = level
    trainings: dict[int, set[str]] = {}
    for agent, code in rows[2]:
        trainings.setdefault(agent, set()).add(code)
    capacities: dict[int, dict[str, int]] = {}
    for agent, kind, capacity in rows[3]:
        capacities.setdefault(agent, {})[kind] = capacity
    loads = count_loads(rows[4])
    # Every agent needs the row that claims lock; create the missing ones once.
    AgentRoutingState.objects.bulk_create(
        [AgentRoutingState(agent_id=a[0]) for a in agents if a[4] is None],
        ignore_conflicts=True,
    )
    profiles: dict[int, sel.AgentProfile] = {}
    states: dict[int, sel.AgentState] = {}
    for agent_id, shifts, supervisor, presence_at, _state, last, day, handled in agents:
        profiles[agent_id] = sel.AgentProfile(
            id=agent_id,
            languages=languages.get(agent_id, {}),
            skills=skills.get(agent_id, {}),
            trainings=frozenset(trainings.get(agent_id, set())),
            capacities=capacities.get(agent_id, {}),
            is_supervisor=supervisor,
        )
        idle_from = max([t for t in (last, presence_at) if t is not None], default=now)
        load = loads.get(agent_id, {})
        states[agent_id] = sel.AgentState(
            on_shift=on_shift(shifts or [], local.replace(tzinfo=None)),
            present=True,
            load=load,
            idle_since=now.timestamp() if any(load.values()) else idle_from.timestamp(),
            handled_today=handled if day == local.date() else 0,
        )
    rare = sel.rarity(profiles[a] for a in profiles if states[a].on_shift)
    settings = settings_for(organisation.pk)
    steps = steps_for_organisation(organisation.pk)
    return Board(organisation, settings, now, profiles, states, rare, steps)


def _profile_statements(organisation_id: int, day: date) -> list[Statement]:
    """The present agents' languages, topic skills, trainings valid on ``day`` and channel
    capacities (rows: agent, code, level; agent, code; agent, kind, capacity). Raw, in one
    round trip with the load count: the ORM's compilation of these cost more than reading
    them."""
    quote = connection.ops.quote_name
    agent = quote(Agent._meta.db_table)
    present = "a.organisation_id = %s AND a.presence = %s"
    params = [organisation_id, Presence.AVAILABLE.value]

    def of(model: type[Model], alias: str) -> str:
        table = quote(model._meta.db_table)
        return f"{table} {alias} INNER JOIN {agent} a ON a.id = {alias}.agent_id"

    # Table names from the models' meta; every value is a parameter.
    valid = "(x.valid_until IS NULL OR x.valid_until >= %s)"
    return [
        (f"SELECT l.agent_id, l.language, l.proficiency FROM {of(AgentLanguage, 'l')}"  # noqa: S608
         f" WHERE {present}", params),
        (f"SELECT s.agent_id, t.code, s.proficiency FROM {of(AgentSkill, 's')}"  # noqa: S608
         f" INNER JOIN {quote(Topic._meta.db_table)} t ON t.id = s.topic_id WHERE {present}",
         params),
        (f"SELECT x.agent_id, t.code FROM {of(AgentTraining, 'x')}"  # noqa: S608
         f" INNER JOIN {quote(Training._meta.db_table)} t ON t.id = x.training_id"
         f" WHERE {present} AND {valid}", [*params, connection.ops.adapt_datefield_value(day)]),
        (f"SELECT c.agent_id, c.channel_kind, c.capacity FROM {of(AgentChannel, 'c')}"  # noqa: S608
         f" WHERE {present}", params),
    ]  # fmt: skip


_cache: dict[int, Board] = {}


def board_for(organisation: Organisation, now: datetime, *, fresh: bool = False) -> Board:
    """The cached board of ``organisation`` (reloaded after ``BOARD_TTL_S`` or on request)."""
    board = _cache.get(organisation.pk)
    if fresh or board is None or time.monotonic() - board.loaded_at > BOARD_TTL_S:
        previous, board = board, load_board(organisation, now)
        if previous is not None and previous.profiles == board.profiles:
            # Who qualifies for a need depends on the profiles alone: keep what was worked
            # out (each entry costs a pass over every agent; sweeps reload the board often).
            board._qualified = previous._qualified
            if previous.rare == board.rare:  # and the profile scores on the rarities too
                board._fixed = previous._fixed
        _cache[organisation.pk] = board
    board.now = now
    return board


def forget(organisation_id: int) -> None:
    """Drop the cached board (presence or profile changed in this process)."""
    _cache.pop(organisation_id, None)
