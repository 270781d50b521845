"""Erlang C against known values and its monotonic properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from balie.workforce import erlang


def test_known_values():
    """Two servers at one Erlang wait with probability 1/3; the closed formula agrees."""
    assert erlang.erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert erlang.erlang_b(1, 1.0) == pytest.approx(0.5)
    # The closed formula, summed directly: c = 7 agents, A = 5 Erlang.
    top = 5.0**7 / math.factorial(7) * 7 / (7 - 5)
    direct = top / (sum(5.0**k / math.factorial(k) for k in range(7)) + top)
    assert erlang.erlang_c(7, 5.0) == pytest.approx(direct)
    sl = 1 - direct * math.exp(-(7 - 5) * 20 / 180)
    assert erlang.service_level(7, 5.0, 180, 20) == pytest.approx(sl)


def test_an_unstable_queue_has_no_service():
    """At or above full load nobody is answered in time and the wait is unbounded."""
    assert erlang.service_level(5, 5.0, 180, 20) == 0.0
    assert math.isinf(erlang.mean_wait(4, 5.0, 180))


@given(st.integers(1, 60), st.floats(0.1, 50))
def test_more_agents_never_lower_the_service_level(servers: int, traffic: float):
    """Adding an agent never makes the service level worse."""
    a = erlang.service_level(servers, traffic, 300, 20)
    b = erlang.service_level(servers + 1, traffic, 300, 20)
    assert 0.0 <= a <= b + 1e-12 <= 1.0 + 1e-12


def test_agents_needed_reaches_the_goal_with_the_fewest_agents():
    """The staffing answer meets the goal and one agent fewer does not."""
    n = erlang.agents_needed(10.0, 300, 20, 0.8)
    assert erlang.service_level(n, 10.0, 300, 20) >= 0.8
    assert erlang.service_level(n - 1, 10.0, 300, 20) < 0.8
