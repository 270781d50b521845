"""The Erlang C pooled bound: every agent on shift as one pool per channel, hour by hour."""

from __future__ import annotations

import math

from balie.routing.simulate.scenario import Scenario
from balie.workforce.erlang import service_level


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))


def _fractional_sl(servers: float, traffic: float, aht_s: float, target_s: float) -> float:
    low = math.floor(servers + 1e-9)
    share = servers - low
    sl_low = service_level(low, traffic, aht_s, target_s)
    if share < 1e-9:
        return sl_low
    return (1 - share) * sl_low + share * service_level(low + 1, traffic, aht_s, target_s)


def pooled_bound(scenario: Scenario) -> dict[str, float]:
    """Per channel, the Erlang C service level if skills did not matter.

    Each hour, an agent on shift splits their time over the channels they serve in proportion
    to those channels' workloads; servers = agent share × concurrency; traffic = λ × AHT. The
    hourly service levels are weighted by the hour's arrivals. Abandonment is ignored.
    """
    hours = math.ceil(scenario.hours)
    weighted = dict.fromkeys(scenario.channels, 0.0)
    volume = dict.fromkeys(scenario.channels, 0.0)
    for h in range(hours):
        slot = (float(h), min(float(h + 1), scenario.hours))
        rate = dict.fromkeys(scenario.channels, 0.0)  # arrivals in this hour
        for arrival in scenario.arrivals:
            rate[arrival.channel] += arrival.per_hour * _overlap(slot, arrival.window)
        work = {
            c: rate[c] * spec.aht_s / 3600 / spec.concurrency
            for c, spec in scenario.channels.items()
        }
        agents = dict.fromkeys(scenario.channels, 0.0)
        for agent in scenario.agents:
            present = _overlap(slot, agent.shift) / max(slot[1] - slot[0], 1e-9)
            total = sum(work[c] for c in agent.channels)
            for c in agent.channels:
                share = work[c] / total if total > 0 else 1 / len(agent.channels)
                agents[c] += present * share
        for c, spec in scenario.channels.items():
            if rate[c] <= 0:
                continue
            traffic = rate[c] / max(slot[1] - slot[0], 1e-9) * spec.aht_s / 3600
            servers = agents[c] * spec.concurrency
            weighted[c] += rate[c] * _fractional_sl(servers, traffic, spec.aht_s, spec.target_s)
            volume[c] += rate[c]
    return {c: round(weighted[c] / volume[c], 4) for c in scenario.channels if volume[c] > 0}
