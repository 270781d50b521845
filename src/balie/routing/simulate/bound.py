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


def _pool_key(scenario: Scenario, channel: str) -> tuple[float, int, float]:
    spec = scenario.channels[channel]
    return (spec.aht_s, spec.concurrency, spec.target_s)


def pooled_bound(scenario: Scenario) -> dict[str, float]:
    """Per channel, the Erlang C service level if skills did not matter.

    Channels with the same parameters (``voice`` and ``voice_ar``) form one pool. Each hour, an
    agent on shift splits their time over the pools they serve in proportion to those pools'
    workloads; servers = agent share × concurrency; traffic = λ × AHT. The hourly service
    levels are weighted by the hour's arrivals. Abandonment is ignored.
    """
    pools = {c: _pool_key(scenario, c) for c in scenario.channels}
    hours = math.ceil(scenario.hours)
    weighted = dict.fromkeys(scenario.channels, 0.0)
    volume = dict.fromkeys(scenario.channels, 0.0)
    for h in range(hours):
        slot = (float(h), min(float(h + 1), scenario.hours))
        length = max(slot[1] - slot[0], 1e-9)
        rate = dict.fromkeys(scenario.channels, 0.0)  # arrivals in this hour
        for arrival in scenario.arrivals:
            rate[arrival.channel] += arrival.per_hour * _overlap(slot, arrival.window)
        pool_rate: dict[tuple[float, int, float], float] = {}
        for c, key in pools.items():
            pool_rate[key] = pool_rate.get(key, 0.0) + rate[c]
        work = {key: r * key[0] / 3600 / key[1] for key, r in pool_rate.items()}
        agents = dict.fromkeys(pool_rate, 0.0)
        for agent in scenario.agents:
            present = _overlap(slot, agent.shift) / length
            served = {pools[c] for c in agent.channels}
            total = sum(work[k] for k in served)
            for key in served:
                agents[key] += present * (work[key] / total if total > 0 else 1 / len(served))
        for c, key in pools.items():
            if rate[c] <= 0:
                continue
            traffic = pool_rate[key] / length * key[0] / 3600
            level = _fractional_sl(agents[key] * key[1], traffic, key[0], key[2])
            weighted[c] += rate[c] * level
            volume[c] += rate[c]
    return {c: round(weighted[c] / volume[c], 4) for c in scenario.channels if volume[c] > 0}
