"""Erlang C: the waiting probability, service level and mean wait of an M/M/c queue.

Pure functions over plain numbers. ``traffic`` is the offered load in Erlangs (arrival rate ×
mean handling time); ``servers`` the number of parallel servers (agents × concurrency).
"""

from __future__ import annotations

import math


def erlang_b(servers: int, traffic: float) -> float:
    """Blocking probability of M/M/c/c, by the numerically stable recursion."""
    if servers < 0 or traffic < 0:
        raise ValueError("servers and traffic must be non-negative")
    b = 1.0
    for k in range(1, servers + 1):
        b = traffic * b / (k + traffic * b)
    return b


def erlang_c(servers: int, traffic: float) -> float:
    """Probability that an arrival waits (1.0 when the queue is unstable)."""
    if servers <= 0 or traffic >= servers:
        return 1.0
    if traffic == 0:
        return 0.0
    b = erlang_b(servers, traffic)
    return servers * b / (servers - traffic * (1 - b))


def service_level(servers: int, traffic: float, aht_s: float, target_s: float) -> float:
    """Share of arrivals answered within ``target_s`` seconds (0.0 when unstable)."""
    if servers <= 0 or traffic >= servers:
        return 0.0
    wait = erlang_c(servers, traffic)
    return 1.0 - wait * math.exp(-(servers - traffic) * target_s / aht_s)


def mean_wait(servers: int, traffic: float, aht_s: float) -> float:
    """Average speed of answer in seconds (``inf`` when unstable)."""
    if servers <= 0 or traffic >= servers:
        return math.inf
    return erlang_c(servers, traffic) * aht_s / (servers - traffic)


def agents_needed(traffic: float, aht_s: float, target_s: float, goal: float) -> int:
    """The fewest servers reaching service level ``goal`` (0 < goal < 1)."""
    if not 0 < goal < 1:
        raise ValueError("goal must be between 0 and 1")
    servers = max(1, math.floor(traffic) + 1)
    while service_level(servers, traffic, aht_s, target_s) < goal:
        servers += 1
    return servers
