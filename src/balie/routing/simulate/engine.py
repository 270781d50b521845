"""A seeded discrete-event simulation of contact routing.

Arrivals, handling and patience times are drawn once per scenario (common random numbers), so
every policy faces exactly the same contacts. The ``balie`` policy calls the production
selection code (:mod:`balie.routing.selection`): queue order, eligibility and score. The
baselines use the same eligibility but first-come-first-served order and a plain agent choice.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field

from balie.routing import selection as sel
from balie.routing.simulate.scenario import ArrivalSpec, Scenario

POLICIES = ("balie", "round_robin", "longest_idle")
#: In the scenario contract an agent serves one channel's contacts at a time.
MIXING = sel.Mixing(exclusive=True)
_SHIFT, _DONE, _ABANDON, _ARRIVAL = 0, 1, 2, 3


@dataclass
class Contact:
    """One simulated contact and what happened to it."""

    id: int
    stream: ArrivalSpec
    arrival: float
    service_s: float
    patience_s: float | None
    need: sel.Need
    started: float | None = None
    agent: str | None = None
    abandoned: bool = False


@dataclass
class _Agent:
    profile: sel.AgentProfile
    shift: tuple[float, float]
    on_shift: bool = False
    load: dict[str, int] = field(default_factory=dict)
    idle_since: float = 0.0
    handled: int = 0
    busy_area: float = 0.0
    last_t: float = 0.0


def draw_contacts(scenario: Scenario) -> list[Contact]:
    """All contacts of the scenario, in arrival order; the same for every policy."""
    trainings = {t for a in scenario.agents for t in a.trainings}
    contacts: list[Contact] = []
    for index, stream in enumerate(scenario.arrivals):
        rng = random.Random(f"{scenario.seed}:{index}")  # noqa: S311 -- a seeded simulation
        spec = scenario.channels[stream.channel]
        start, end = stream.window
        t = start
        while stream.per_hour > 0:
            t += rng.expovariate(stream.per_hour / 3600.0)
            if t >= end * 3600.0:
                break
            service = rng.expovariate(1.0 / spec.aht_s)
            patience = None if spec.patience_s is None else rng.expovariate(1 / spec.patience_s)
            need = sel.Need(
                channel=stream.channel,
                language=stream.language,
                topic=stream.topic,
                training=stream.topic if stream.topic in trainings else None,
                priority=stream.priority,
            )
            contacts.append(Contact(0, stream, t, service, patience, need))
    contacts.sort(key=lambda c: c.arrival)
    for i, contact in enumerate(contacts):
        contact.id = i
    return contacts


class Simulation:
    """One policy run over one scenario."""

    def __init__(self, scenario: Scenario, policy: str) -> None:
        if policy not in POLICIES:
            raise ValueError(f"unknown policy {policy!r}")
        self.scenario, self.policy = scenario, policy
        self.agents: dict[str, _Agent] = {}
        for spec in scenario.agents:
            profile = sel.AgentProfile(
                id=spec.id,
                languages=spec.languages,
                skills=spec.skills,
                trainings=spec.trainings,
                capacities={c: scenario.channels[c].concurrency for c in spec.channels},
                is_supervisor=spec.is_supervisor,
            )
            self.agents[spec.id] = _Agent(profile, spec.shift)
        self.contacts = draw_contacts(scenario)
        self.waiting: dict[int, Contact] = {}
        self.log: list[tuple[float, float, str, str]] = []  # start, end, agent, channel
        self._events: list[tuple[float, int, int, int | str]] = []
        self._seq = 0
        self._rr = -1
        self._rare: dict[str, float] = {}
        self._qualified: dict[sel.Need, int] = {}

    def _push(self, t: float, kind: int, ref: int | str) -> None:
        self._seq += 1
        heapq.heappush(self._events, (t, self._seq, kind, ref))

    def _state(self, agent: _Agent, now: float) -> sel.AgentState:
        busy = any(agent.load.values())
        return sel.AgentState(
            on_shift=agent.on_shift,
            present=True,
            load=dict(agent.load),
            idle_since=now if busy else agent.idle_since,
            handled_today=agent.handled,
        )

    def _account(self, agent: _Agent, now: float) -> None:
        t = min(now, self.scenario.hours * 3600.0)
        if agent.on_shift and t > agent.last_t:
            spec = self.scenario.channels
            busy = sum(n / spec[c].concurrency for c, n in agent.load.items())
            agent.busy_area += (t - agent.last_t) * min(busy, 1.0)
        agent.last_t = max(agent.last_t, t)

    def _on_shift_changed(self) -> None:
        on = [a.profile for a in self.agents.values() if a.on_shift]
        self._rare = sel.rarity(on)
        self._qualified = {}

    def _n_qualified(self, need: sel.Need) -> int:
        if need not in self._qualified:
            self._qualified[need] = sum(
                1 for a in self.agents.values() if a.on_shift and sel.qualifies(a.profile, need)
            )
        return self._qualified[need]

    def run(self) -> Simulation:
        """Run to the end: arrivals stop at ``hours``; agents on shift then drain the queue."""
        horizon = self.scenario.hours
        for agent_id, agent in self.agents.items():
            start, end = agent.shift
            if start < horizon and end > start:
                self._push(max(start, 0.0) * 3600.0, _SHIFT, agent_id)
                if end < horizon:
                    self._push(end * 3600.0, _SHIFT, agent_id)
        for contact in self.contacts:
            self._push(contact.arrival, _ARRIVAL, contact.id)
        while self._events:
            now, _, kind, ref = heapq.heappop(self._events)
            self._handle(now, kind, ref)
            self._dispatch(now)
        for agent in self.agents.values():
            self._account(agent, horizon * 3600.0)
        return self

    def _handle(self, now: float, kind: int, ref: int | str) -> None:
        if kind == _SHIFT:
            agent = self.agents[str(ref)]
            self._account(agent, now)
            agent.on_shift = not agent.on_shift
            agent.idle_since = now
            agent.last_t = now
            self._on_shift_changed()
        elif kind == _ARRIVAL:
            contact = self.contacts[int(ref)]
            self.waiting[contact.id] = contact
            if contact.patience_s is not None:
                self._push(now + contact.patience_s, _ABANDON, contact.id)
        elif kind == _ABANDON:
            gone = self.waiting.pop(int(ref), None)
            if gone is not None:
                gone.abandoned = True
        else:
            contact = self.contacts[int(ref)]
            agent = self.agents[str(contact.agent)]
            self._account(agent, now)
            agent.load[contact.need.channel] -= 1
            if not any(agent.load.values()):
                agent.idle_since = now

    def _assign(self, contact: Contact, agent_id: str, now: float) -> None:
        agent = self.agents[agent_id]
        self._account(agent, now)
        del self.waiting[contact.id]
        contact.started, contact.agent = now, agent_id
        channel = contact.need.channel
        agent.load[channel] = agent.load.get(channel, 0) + 1
        agent.handled += 1
        self.log.append((now, now + contact.service_s, agent_id, channel))
        self._push(now + contact.service_s, _DONE, contact.id)

    def _dispatch(self, now: float) -> None:
        if not self.waiting:
            return
        free = {
            aid: a
            for aid, a in self.agents.items()
            if a.on_shift
            and any(
                sel.has_room(a.profile, self._state(a, now), c, MIXING)
                for c in a.profile.capacities
            )
        }
        if not free:
            return
        if self.policy == "balie":
            order = sorted(
                self.waiting.values(),
                key=lambda c: sel.queue_key(
                    c.need.priority,
                    now - c.arrival,
                    self.scenario.channels[c.need.channel].target_s,
                    self._n_qualified(c.need),
                ),
            )
        else:
            order = list(self.waiting.values())
        failed: set[sel.Need] = set()
        for contact in order:
            if not free:
                return
            if contact.need in failed:
                continue
            chosen = self._choose(contact.need, free, now)
            if chosen is None:
                failed.add(contact.need)
                continue
            self._assign(contact, chosen, now)
            agent = free[chosen]
            state = self._state(agent, now)
            if not any(
                sel.has_room(agent.profile, state, c, MIXING) for c in agent.profile.capacities
            ):
                del free[chosen]

    def _choose(self, need: sel.Need, free: dict[str, _Agent], now: float) -> str | None:
        if self.policy == "balie":
            pairs = [(a.profile, self._state(a, now)) for a in free.values()]
            ranked = sel.rank_agents(need, pairs, now, self._rare, MIXING)
            return str(ranked[0]) if ranked else None
        candidates = [
            aid
            for aid, a in free.items()
            if sel.eligible(a.profile, self._state(a, now), need, MIXING)
        ]
        if not candidates:
            return None
        if self.policy == "longest_idle":
            return min(candidates, key=lambda aid: (self._state(free[aid], now).idle_since, aid))
        order = list(self.agents)
        positions = {aid: order.index(aid) for aid in candidates}
        after = [aid for aid in candidates if positions[aid] > self._rr]
        pick = min(after or candidates, key=lambda aid: positions[aid])
        self._rr = positions[pick]
        return pick
