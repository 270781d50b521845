"""The simulation: the contract's JSON, Erlang C agreement, invariants and determinism."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from balie.cli import main
from balie.routing.simulate.engine import Simulation
from balie.routing.simulate.metrics import simulate
from balie.routing.simulate.scenario import ScenarioError, load, parse

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "routing"


def pooled(hours: float = 60) -> dict[str, object]:
    return {
        "seed": 3,
        "hours": hours,
        "channels": {"voice": {"aht_s": 300, "concurrency": 1, "patience_s": None, "target_s": 20}},
        "agents": [
            {"id": f"a{i}", "languages": {"nl": 5}, "skills": {"q": 3}, "trainings": [],
             "channels": ["voice"], "shift": [0, hours]}
            for i in range(8)
        ],
        "arrivals": [{"channel": "voice", "topic": "q", "language": "nl", "per_hour": 80,
                      "priority": 0}],
    }  # fmt: skip


def test_the_pooled_case_agrees_with_erlang_c():
    """With one skill and no abandonment, the first-come-first-served baselines match Erlang C."""
    result = simulate(parse(pooled()))
    bound = result["erlang_c_pooled"]["voice"]
    for name in ("round_robin", "longest_idle"):
        assert result["policies"][name]["service_level"]["voice"] == pytest.approx(bound, abs=0.04)


def test_serving_savable_contacts_first_raises_service_level_not_mean_wait():
    """In the pooled case the router beats Erlang C's service level at the same mean wait.

    Erlang C assumes first come, first served; serving contacts still inside their target
    before those past it answers more within target, while the mean wait of a work-conserving
    queue does not depend on the order (the conservation law), so the gain is not free time.
    """
    result = simulate(parse(pooled()))
    balie, fcfs = result["policies"]["balie"], result["policies"]["longest_idle"]
    assert balie["service_level"]["voice"] > result["erlang_c_pooled"]["voice"]
    assert balie["asa_s"]["voice"] == pytest.approx(fcfs["asa_s"]["voice"], rel=0.1)


def test_the_command_prints_the_contract_json(capsys):
    """``balie routing simulate`` prints policies with every contract field and the bound."""
    assert main(["routing", "simulate", str(EXAMPLES / "scarce_language.json")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["policies"]) == {"balie", "round_robin", "longest_idle"}
    fields = {"service_level", "asa_s", "abandoned", "occupancy", "language_match", "skill_match",
              "language_match_strict", "skill_match_strict"}  # fmt: skip
    for policy in out["policies"].values():
        assert fields <= set(policy)
    assert set(out["erlang_c_pooled"]) == {"voice", "voice_ar", "voice_ti"}


def test_any_level_is_a_match_and_the_strict_share_counts_the_match_level():
    """skill_match counts levels 1-5 (the contract); skill_match_strict only match_level up."""
    scenario = pooled(hours=8)
    for n, agent in enumerate(scenario["agents"]):  # type: ignore[attr-defined]
        agent["skills"] = {"q": 1 if n % 2 else 4}
        agent["languages"] = {"nl": 2}
    result = simulate(parse(scenario))["policies"]
    for policy in result.values():
        assert (policy["skill_match"], policy["language_match"]) == (1.0, 1.0)
        assert 0.0 < policy["skill_match_strict"] < 1.0
        assert policy["language_match_strict"] == 0.0
    scenario["match_level"] = 1
    for policy in simulate(parse(scenario))["policies"].values():
        assert policy["skill_match_strict"] == policy["language_match_strict"] == 1.0


def test_an_invalid_scenario_is_refused_with_the_field(tmp_path, capsys):
    """A scenario missing a required field exits 2 and names the field."""
    broken = pooled()
    del broken["arrivals"][0]["priority"]  # type: ignore[index]
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    assert main(["routing", "simulate", str(path)]) == 2
    assert "priority" in capsys.readouterr().err
    with pytest.raises(ScenarioError):
        parse({"seed": 1})


@pytest.mark.parametrize("policy", ["balie", "round_robin", "longest_idle"])
def test_every_assignment_respects_eligibility_and_capacity(policy):
    """No agent ever exceeds a channel's concurrency or serves a contact it is not qualified for."""
    scenario = load(EXAMPLES / "municipal_day.json")
    sim = Simulation(scenario, policy).run()
    events = sorted(
        [(start, 1, agent, ch) for start, _end, agent, ch in sim.log]
        + [(end, -1, agent, ch) for _start, end, agent, ch in sim.log]
    )
    busy_load: dict[tuple[str, str], int] = {}
    for _t, delta, agent, channel in sorted(events, key=lambda e: (e[0], e[1])):
        busy_load[agent, channel] = busy_load.get((agent, channel), 0) + delta
        assert busy_load[agent, channel] <= scenario.channels[channel].concurrency
        busy = [c for (a, c), n in busy_load.items() if a == agent and n > 0]
        assert len(busy) <= 1  # one channel at a time
    for contact in sim.contacts:
        if contact.agent is not None:
            profile = sim.agents[contact.agent].profile
            assert contact.need.language in profile.languages
            assert contact.need.topic in profile.skills


@pytest.mark.slow
def test_the_same_seed_gives_the_same_result():
    """A seeded scenario is reproducible to the last digit."""
    scenario = load(EXAMPLES / "crisis_surge.json")
    assert simulate(scenario) == simulate(scenario)


def test_balie_beats_both_baselines_where_skills_matter():
    """On the crisis surge, Balie's service level for calls beats round robin and longest idle."""
    result = simulate(load(EXAMPLES / "crisis_surge.json"))["policies"]
    ours = result["balie"]["service_level"]["voice"]
    assert ours > result["round_robin"]["service_level"]["voice"]
    assert ours > result["longest_idle"]["service_level"]["voice"]


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_balie_wins_or_ties_on_every_channel_of_every_example(path: Path):
    """On each example scenario Balie's service level per channel is at least both baselines'."""
    result = simulate(load(path))["policies"]
    ours = result["balie"]["service_level"]
    for baseline in ("round_robin", "longest_idle"):
        for channel, level in result[baseline]["service_level"].items():
            assert ours[channel] >= level, (baseline, channel)
