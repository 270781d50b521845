"""Who may take a contact, and who should: the pure selection code.

The production engine (``routing.engine``) and the simulator (``routing.simulate``) both call
these functions, so what the simulation measures is what production does. Plain values in,
plain values out; no Django.

The score (see ``docs/routing.md``) ranks eligible agents for one contact::

    score = W_FIT   * fit            # proficiency in the topic and language, 0..1
          - W_SPARE * spare          # rare capabilities this contact does not need
          + W_IDLE  * idle           # longest idle first, saturating after 15 minutes
          + W_LOAD  * packing        # share of this channel's capacity already in use
          - W_FAIR  * fairness       # contacts handled today, relative to a day's work

``spare`` is what keeps scarce people free: every capability the agent has that this contact
does not need (the Arabic, the crisis training, the phone line) costs ``1 / agents on shift
having it``. ``packing`` fills an agent already on this channel before opening it for another,
so the others stay free for calls. The queue is served by priority, then by waiting time as a
share of the channel's answer target plus a bonus for contacts few agents can take
(:func:`queue_key`); contacts past their target give way to those that can still make it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache

AgentId = int | str

W_FIT = 1.0
W_SPARE = 4.0
W_IDLE = 1.0
W_LOAD = 2.0
W_FAIR = 0.5
IDLE_SATURATION_S = 900.0
FAIR_DAY = 20.0
#: Share of its answer target a contact only one agent on shift can take is credited with.
SCARCITY_BONUS = 0.5
#: A contact waiting this many times its answer target goes before all others of its priority.
STARVATION_FACTOR = 20.0


@dataclass(frozen=True)
class AgentProfile:
    """What an agent can do: levels 1–5 per language and topic, valid trainings, capacities."""

    id: AgentId
    languages: Mapping[str, int]
    skills: Mapping[str, int]
    trainings: frozenset[str] = frozenset()
    capacities: Mapping[str, int] = field(default_factory=dict)
    is_supervisor: bool = False
    caps: frozenset[str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "caps", frozenset(capabilities(self)))


@dataclass(frozen=True)
class AgentState:
    """Where an agent is now: on shift, present, contacts per channel, idle since, day's work."""

    on_shift: bool
    present: bool
    load: Mapping[str, int]
    idle_since: float
    handled_today: int = 0

    def given(self, kind: str, at: float) -> AgentState:
        """This state after one more contact of ``kind``, given at ``at`` (epoch seconds)."""
        load = dict(self.load)
        load[kind] = load.get(kind, 0) + 1
        return replace(self, load=load, idle_since=at, handled_today=self.handled_today + 1)


@dataclass(frozen=True)
class Need:
    """What a contact requires of its agent (after any escalation step)."""

    channel: str
    language: str
    topic: str
    min_language: int = 1
    min_skill: int = 1
    training: str | None = None
    require_skill: bool = True
    supervisors_only: bool = False
    priority: int = 0


@dataclass(frozen=True)
class Step:
    """An escalation step: after ``after_s`` seconds of waiting, these requirements apply.

    ``None`` keeps the previous value; ``training=""`` drops the training requirement.
    """

    after_s: float
    min_skill: int | None = None
    min_language: int | None = None
    require_skill: bool | None = None
    training: str | None = None
    supervisors_only: bool | None = None


@dataclass(frozen=True)
class Mixing:
    """Which channels an agent may combine: ``exclusive`` means one channel at a time;
    a ``blocking`` channel (a call) is never combined with another."""

    exclusive: bool = False
    blocking: frozenset[str] = frozenset()


def requirements_at(base: Need, steps: Sequence[Step], waited_s: float) -> Need:
    """The requirements after ``waited_s`` seconds: every step whose wait has passed applies."""
    need = base
    for step in sorted(steps, key=lambda s: s.after_s):
        if step.after_s > waited_s:
            break
        need = replace(
            need,
            min_skill=need.min_skill if step.min_skill is None else step.min_skill,
            min_language=need.min_language if step.min_language is None else step.min_language,
            require_skill=need.require_skill if step.require_skill is None else step.require_skill,
            training=need.training if step.training is None else (step.training or None),
            supervisors_only=need.supervisors_only
            if step.supervisors_only is None
            else step.supervisors_only,
        )
    return need


def has_room(profile: AgentProfile, state: AgentState, channel: str, mixing: Mixing) -> bool:
    """Whether the agent has free capacity on ``channel`` given what they handle now."""
    load = state.load
    if load.get(channel, 0) >= profile.capacities.get(channel, 0):
        return False
    blocking = mixing.blocking
    alone = mixing.exclusive or channel in blocking  # nothing else may be open alongside
    for other, n in load.items():
        if n > 0 and other != channel and (alone or other in blocking):
            return False
    return True


def qualifies(profile: AgentProfile, need: Need) -> bool:
    """Whether the agent's profile meets the need (language, skill, training, channel, role)."""
    if profile.capacities.get(need.channel, 0) <= 0:
        return False
    if profile.languages.get(need.language, 0) < max(need.min_language, 1):
        return False
    if need.require_skill and profile.skills.get(need.topic, 0) < max(need.min_skill, 1):
        return False
    if need.training and need.training not in profile.trainings:
        return False
    return not (need.supervisors_only and not profile.is_supervisor)


def eligible(profile: AgentProfile, state: AgentState, need: Need, mixing: Mixing) -> bool:
    """Whether the agent may be offered the contact now: qualified, on shift, present, room."""
    return (
        state.on_shift
        and state.present
        and qualifies(profile, need)
        and has_room(profile, state, need.channel, mixing)
    )


def capabilities(profile: AgentProfile) -> set[str]:
    """The agent's capabilities as keys ``lang:xx``, ``skill:topic``, ``training:code``."""
    caps = {f"lang:{code}" for code in profile.languages}
    caps |= {f"skill:{topic}" for topic in profile.skills}
    caps |= {f"training:{code}" for code in profile.trainings}
    caps |= {f"channel:{kind}" for kind, n in profile.capacities.items() if n > 0}
    return caps


def rarity(profiles: Iterable[AgentProfile]) -> dict[str, float]:
    """Per capability, 1 / the number of the given agents (those on shift) who have it."""
    counts: dict[str, int] = {}
    for profile in profiles:
        for cap in profile.caps:
            counts[cap] = counts.get(cap, 0) + 1
    return {cap: 1.0 / n for cap, n in counts.items()}


def spare(profile: AgentProfile, need: Need, rare: Mapping[str, float]) -> float:
    """The rarity of the capabilities the agent has that this contact does not use."""
    used = _used(need.language, need.topic, need.channel, need.training)
    return sum(rare.get(cap, 0.0) for cap in profile.caps if cap not in used)


@cache
def _used(language: str, topic: str, channel: str, training: str | None) -> frozenset[str]:
    """The capabilities a contact uses (cached: ranking asks once per agent)."""
    used = {f"lang:{language}", f"skill:{topic}", f"channel:{channel}"}
    if training:
        used.add(f"training:{training}")
    return frozenset(used)


def fit(profile: AgentProfile, need: Need) -> float:
    """Proficiency fit 0..1: the mean of the topic and language levels, scaled from 1–5."""
    skill = profile.skills.get(need.topic, 0) if need.require_skill else 3
    language = profile.languages.get(need.language, 0)
    return max(0.0, (min(skill, 5) + min(language, 5) - 2) / 8)


def profile_score(profile: AgentProfile, need: Need, rare: Mapping[str, float]) -> float:
    """The terms of :func:`score` that depend on the profile and the rarities alone (fit and
    spare): the same for every contact with this need while they stay the same, so the engine
    works them out once per need and board (:func:`rank_agents`' ``fixed``)."""
    return W_FIT * fit(profile, need) - W_SPARE * spare(profile, need, rare)


def score(
    profile: AgentProfile,
    state: AgentState,
    need: Need,
    now: float,
    rare: Mapping[str, float],
    fixed: float | None = None,
) -> float:
    """The documented score of one eligible agent for one contact; higher is better.

    ``fixed``: :func:`profile_score` of this profile, need and ``rare``, if known already
    (the sum is taken in the same order, so the result is the same to the last bit).
    """
    capacity = max(profile.capacities.get(need.channel, 1), 1)
    idle = min(max(now - state.idle_since, 0.0) / IDLE_SATURATION_S, 1.0)
    packing = state.load.get(need.channel, 0) / capacity
    fairness = state.handled_today / (state.handled_today + FAIR_DAY)
    return (
        (profile_score(profile, need, rare) if fixed is None else fixed)
        + W_IDLE * idle
        + W_LOAD * packing
        - W_FAIR * fairness
    )


def rank_agents(
    need: Need,
    agents: Iterable[tuple[AgentProfile, AgentState]],
    now: float,
    rare: Mapping[str, float],
    mixing: Mixing,
    *,
    qualified: bool = False,
    fixed: Mapping[AgentId, float] | None = None,
) -> list[AgentId]:
    """The eligible agents for ``need``, best first (ties: longest idle, then id).

    ``qualified=True``: the caller passes only agents whose profile :func:`qualifies` (the
    engine's board keeps that list per need), so only shift, presence and room are checked.
    ``fixed``: :func:`profile_score` per agent for this need and ``rare`` (the board keeps
    them per need too); the ranking is the same as without.
    """
    channel = need.channel
    scored = [
        (
            -score(profile, state, need, now, rare, None if fixed is None else fixed[profile.id]),
            state.idle_since,
            str(profile.id),
            profile.id,
        )
        for profile, state in agents
        if (
            state.on_shift
            and state.present
            and (qualified or qualifies(profile, need))
            and has_room(profile, state, channel, mixing)
        )
    ]
    scored.sort(key=lambda item: item[:3])
    return [item[3] for item in scored]


def queue_key(
    priority: int, waited_s: float, target_s: float, n_qualified: int
) -> tuple[int, int, float]:
    """Sort key (ascending) of a waiting contact: priority first, then who can still be saved.

    Within a priority, contacts still inside their channel's answer target come first, most
    urgent first: urgency is the waiting time as a share of the target (a call waiting 10 s of
    its 20 s goes before an e-mail waiting 10 minutes of its hour), plus ``SCARCITY_BONUS / n``
    for a contact only ``n`` agents on shift can take, so a scarce agent who comes free takes
    the contact only they can serve. Contacts past their target come next, oldest first: they
    have missed the promise already, while an agent given to one of them lets a contact that
    can still be answered in time miss it too. One waiting ``STARVATION_FACTOR`` × its target
    or longer goes before both, oldest first, so nobody waits for ever behind a steady stream.
    """
    share = waited_s / max(target_s, 1.0)
    if share >= STARVATION_FACTOR:
        return (-priority, 0, -waited_s)
    if share > 1.0:
        return (-priority, 2, -waited_s)
    bonus = SCARCITY_BONUS / n_qualified if n_qualified > 0 else 0.0
    return (-priority, 1, -(share + bonus))
