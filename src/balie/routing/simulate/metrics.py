"""Summarising a simulation run into the contract's figures."""

from __future__ import annotations

from typing import Any

from balie.routing.simulate.engine import POLICIES, Simulation
from balie.routing.simulate.scenario import Scenario


def summarise(sim: Simulation) -> dict[str, Any]:
    """Service level and ASA per channel, abandoned share, occupancy and match shares.

    Service level: answered within the channel's target / all arrivals of that channel (an
    abandoned or never-answered contact counts as missed). ASA over answered contacts.
    ``language_match`` and ``skill_match``: the share of served contacts whose agent has the
    language and the topic's skill at any level 1–5 (the contract's meaning);
    ``…_strict``: at the scenario's ``match_level`` (default 3) or better.
    """
    scenario = sim.scenario
    within: dict[str, int] = dict.fromkeys(scenario.channels, 0)
    total: dict[str, int] = dict.fromkeys(scenario.channels, 0)
    waits: dict[str, list[float]] = {c: [] for c in scenario.channels}
    served = abandoned = language_ok = skill_ok = language_strict = skill_strict = 0
    for contact in sim.contacts:
        channel = contact.need.channel
        total[channel] += 1
        if contact.abandoned:
            abandoned += 1
        if contact.started is None or contact.agent is None:
            continue
        wait = contact.started - contact.arrival
        waits[channel].append(wait)
        within[channel] += wait <= scenario.channels[channel].target_s
        served += 1
        profile = sim.agents[contact.agent].profile
        language = profile.languages.get(contact.need.language, 0)
        skill = profile.skills.get(contact.need.topic, 0)
        language_ok, skill_ok = language_ok + (language >= 1), skill_ok + (skill >= 1)
        language_strict += language >= scenario.match_level
        skill_strict += skill >= scenario.match_level
    staffed = sum(
        max(0.0, min(a.shift[1], scenario.hours) - max(a.shift[0], 0.0)) * 3600.0
        for a in sim.agents.values()
    )
    busy = sum(a.busy_area for a in sim.agents.values())
    present = [c for c in scenario.channels if total[c]]

    def share(n: int) -> float:
        return round(n / served, 4) if served else 0.0

    return {
        "service_level": {c: round(within[c] / total[c], 4) for c in present},
        "asa_s": {
            c: round(sum(waits[c]) / len(waits[c]), 1) if waits[c] else None for c in present
        },
        "abandoned": round(abandoned / max(len(sim.contacts), 1), 4),
        "occupancy": round(busy / staffed, 4) if staffed else 0.0,
        "language_match": share(language_ok),
        "skill_match": share(skill_ok),
        "language_match_strict": share(language_strict),
        "skill_match_strict": share(skill_strict),
        "contacts": len(sim.contacts),
        "unanswered": len(sim.contacts) - served - abandoned,
    }


def simulate(scenario: Scenario) -> dict[str, Any]:
    """Every policy over the scenario, plus the Erlang C pooled bound (the contract's JSON)."""
    from balie.routing.simulate.bound import pooled_bound

    return {
        "policies": {name: summarise(Simulation(scenario, name).run()) for name in POLICIES},
        "erlang_c_pooled": pooled_bound(scenario),
    }
