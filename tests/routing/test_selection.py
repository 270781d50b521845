"""The pure selection code: eligibility, escalation, capacity mixing, score and queue order."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from balie.routing import selection as sel

MIX = sel.Mixing(blocking=frozenset({"phone"}))


def profile(aid: str = "a", **kw: object) -> sel.AgentProfile:
    base: dict[str, object] = {
        "languages": {"nl": 5},
        "skills": {"paspoort": 3},
        "capacities": {"phone": 1, "webchat": 3},
    }
    base.update(kw)
    return sel.AgentProfile(id=aid, **base)  # type: ignore[arg-type]


def state(**kw: object) -> sel.AgentState:
    base: dict[str, object] = {"on_shift": True, "present": True, "load": {}, "idle_since": 0.0}
    base.update(kw)
    return sel.AgentState(**base)  # type: ignore[arg-type]


NEED = sel.Need(channel="webchat", language="nl", topic="paspoort", min_language=3, min_skill=2)


def test_an_agent_needs_the_language_at_the_minimum_level():
    """Language below the organisation's minimum proficiency disqualifies."""
    assert sel.qualifies(profile(languages={"nl": 3}), NEED)
    assert not sel.qualifies(profile(languages={"nl": 2}), NEED)
    assert not sel.qualifies(profile(languages={"en": 5}), NEED)


def test_training_channel_and_supervisor_requirements_apply():
    """A required training, the channel and a supervisors-only step each disqualify when unmet."""
    trained = sel.Need(channel="webchat", language="nl", topic="paspoort", training="crisis")
    assert not sel.qualifies(profile(), trained)
    assert sel.qualifies(profile(trainings=frozenset({"crisis"})), trained)
    assert not sel.qualifies(profile(capacities={"email": 3}), NEED)
    boss = sel.Need(channel="webchat", language="nl", topic="paspoort", supervisors_only=True)
    assert not sel.qualifies(profile(), boss)
    assert sel.qualifies(profile(is_supervisor=True), boss)


def test_a_call_blocks_chats_and_chats_block_a_call():
    """On a call no chat is offered, and an agent with open chats gets no call (default mixing)."""
    assert not sel.has_room(profile(), state(load={"phone": 1}), "webchat", MIX)
    assert not sel.has_room(profile(), state(load={"webchat": 1}), "phone", MIX)
    assert sel.has_room(profile(), state(load={"webchat": 1}), "webchat", MIX)
    allowed = sel.Mixing()
    assert sel.has_room(profile(), state(load={"phone": 1}), "webchat", allowed)


@given(st.integers(0, 6), st.integers(1, 6))
def test_capacity_is_a_hard_limit(load: int, capacity: int):
    """An agent is never eligible on a channel whose load has reached its capacity."""
    p = profile(capacities={"webchat": capacity})
    ok = sel.eligible(p, state(load={"webchat": load}), NEED, MIX)
    assert ok == (load < capacity)


def test_escalation_steps_apply_in_order_of_their_wait():
    """Each step whose wait has passed widens (or narrows) the requirements."""
    steps = [
        sel.Step(after_s=300, require_skill=False, min_language=1),
        sel.Step(after_s=60, min_skill=1),
    ]
    assert sel.requirements_at(NEED, steps, 10) == NEED
    assert sel.requirements_at(NEED, steps, 61).min_skill == 1
    late = sel.requirements_at(NEED, steps, 301)
    assert (late.min_skill, late.require_skill, late.min_language) == (1, False, 1)
    crisis = sel.Need(channel="phone", language="nl", topic="nood", training="crisis")
    to_boss = [sel.Step(after_s=120, supervisors_only=True, training="")]
    assert sel.requirements_at(crisis, to_boss, 121).training is None


@given(st.integers(1, 5), st.integers(1, 5))
def test_a_better_fit_never_scores_lower(low: int, high: int):
    """All else equal, a higher topic level never lowers the score."""
    low, high = min(low, high), max(low, high)
    a = sel.score(profile(skills={"paspoort": low}), state(), NEED, 100.0, {})
    b = sel.score(profile(skills={"paspoort": high}), state(), NEED, 100.0, {})
    assert b >= a


def test_the_rare_skill_is_kept_free_and_longest_idle_breaks_ties():
    """A contact anyone can take goes to the agent without rare extras; then to the longest idle."""
    plain = profile("plain")
    rare = profile("rare", languages={"nl": 5, "ar": 5})
    agents = [plain, rare, profile("p2"), profile("p3")]
    rarity = sel.rarity(agents)
    pairs = [(rare, state(idle_since=0.0)), (plain, state(idle_since=50.0))]
    assert sel.rank_agents(NEED, pairs, 100.0, rarity, MIX) == ["plain", "rare"]
    idle = [(profile("x"), state(idle_since=90.0)), (profile("y"), state(idle_since=10.0))]
    assert sel.rank_agents(NEED, idle, 100.0, {}, MIX)[0] == "y"


def test_fairness_prefers_the_agent_who_handled_fewer_today():
    """Between equal agents, the one with fewer contacts today scores higher."""
    busy = sel.score(profile(), state(handled_today=30), NEED, 0.0, {})
    fresh = sel.score(profile(), state(handled_today=2), NEED, 0.0, {})
    assert fresh > busy


def test_ineligible_agents_are_never_ranked():
    """Off shift, absent or full agents do not appear in the ranking."""
    pairs = [
        (profile("off"), state(on_shift=False)),
        (profile("away"), state(present=False)),
        (profile("full"), state(load={"webchat": 3})),
        (profile("ok"), state()),
    ]
    assert sel.rank_agents(NEED, pairs, 0.0, {}, MIX) == ["ok"]


@given(st.integers(-3, 3), st.integers(-3, 3), st.floats(0, 1e5), st.floats(0, 1e5))
def test_priority_always_comes_before_waiting_time(p1: int, p2: int, w1: float, w2: float):
    """A higher-priority contact is always ahead, whatever the waits and scarcity."""
    k1, k2 = sel.queue_key(p1, w1, 20, 1), sel.queue_key(p2, w2, 20, 50)
    if p1 > p2:
        assert k1 < k2


@given(st.floats(0, 20), st.floats(0, 20))
def test_within_target_the_longer_wait_goes_first(w1: float, w2: float):
    """Among contacts still inside their target, the scarcer one that waited longer is ahead."""
    if w1 > w2:
        assert sel.queue_key(0, w1, 20, 1) < sel.queue_key(0, w2, 20, 50)


def test_contacts_past_their_target_give_way_to_those_that_can_make_it():
    """A chat at 290 s of its 5 minutes goes before a call already 40 s past its 20 s."""
    assert sel.queue_key(0, 290, 300, 20) < sel.queue_key(0, 60, 20, 20)


@given(st.floats(20.001, 399), st.floats(20.001, 399))
def test_contacts_past_their_target_are_served_oldest_first(w1: float, w2: float):
    """Among contacts that missed their target, the one waiting longest goes first."""
    if w1 > w2:
        assert sel.queue_key(0, w1, 20, 50) < sel.queue_key(0, w2, 20, 1)


def test_a_contact_waiting_twenty_targets_goes_before_everyone():
    """Nobody starves: at 20 times its target a contact overtakes even fresh urgent ones."""
    starving = sel.queue_key(0, 20 * 3600, 3600, 50)
    assert starving < sel.queue_key(0, 19, 20, 1)
    assert starving < sel.queue_key(0, 300, 20, 1)


def test_urgency_is_relative_to_the_channel_target():
    """A call at half its 20 s target goes before an e-mail 10 minutes into its hour."""
    assert sel.queue_key(0, 10, 20, 5) < sel.queue_key(0, 600, 3600, 5)


def test_prequalified_ranking_equals_the_full_check():
    """Given only qualified agents, qualified=True skips the profile check and ranks the same."""
    pairs = [
        (profile("a"), state(idle_since=5.0)),
        (profile("b"), state(idle_since=1.0, handled_today=9)),
        (profile("c"), state(on_shift=False)),
        (profile("d"), state(load={"webchat": 3})),
    ]
    kept = [(p, s) for p, s in pairs if sel.qualifies(p, NEED)]
    full = sel.rank_agents(NEED, kept, 100.0, {}, MIX)
    assert sel.rank_agents(NEED, kept, 100.0, {}, MIX, qualified=True) == full == ["a", "b"]


_levels = st.integers(min_value=0, max_value=5)
_agent = st.tuples(
    st.dictionaries(st.sampled_from(["nl", "en", "ar"]), _levels, min_size=1),
    st.dictionaries(st.sampled_from(["paspoort", "rijbewijs", "crisis"]), _levels),
    st.frozensets(st.sampled_from(["crisis", "ehbo"])),
    st.integers(min_value=0, max_value=3),
    st.floats(min_value=0.0, max_value=2000.0),
    st.integers(min_value=0, max_value=40),
)


@given(st.lists(_agent, min_size=1, max_size=12))
def test_precomputed_profile_scores_rank_exactly_as_the_full_score(agents):
    """With ``fixed`` (fit and spare worked out once per need), scores and order are identical."""
    pairs = [
        (
            profile(str(i), languages=langs, skills=skills, trainings=trainings),
            state(load={"webchat": load}, idle_since=idle, handled_today=handled),
        )
        for i, (langs, skills, trainings, load, idle, handled) in enumerate(agents)
    ]
    rare = sel.rarity(p for p, _ in pairs)
    fixed = {p.id: sel.profile_score(p, NEED, rare) for p, _ in pairs}
    for p, s in pairs:
        plain = sel.score(p, s, NEED, 900.0, rare)
        assert sel.score(p, s, NEED, 900.0, rare, fixed[p.id]) == plain  # bit for bit
    full = sel.rank_agents(NEED, pairs, 900.0, rare, MIX)
    assert sel.rank_agents(NEED, pairs, 900.0, rare, MIX, fixed=fixed) == full


def _room_as_specified(p: sel.AgentProfile, s: sel.AgentState, channel: str, mix: sel.Mixing):
    """has_room as written first: free capacity, then the mixing rules over the other channels."""
    if s.load.get(channel, 0) >= p.capacities.get(channel, 0):
        return False
    others = [c for c, n in s.load.items() if n > 0 and c != channel]
    if not others:
        return True
    if mix.exclusive or channel in mix.blocking:
        return False
    return not any(c in mix.blocking for c in others)


_kinds = st.sampled_from(["phone", "webchat", "email"])


@given(
    st.dictionaries(_kinds, st.integers(min_value=0, max_value=3)),
    st.dictionaries(_kinds, st.integers(min_value=0, max_value=3)),
    _kinds,
    st.booleans(),
    st.frozensets(_kinds),
)
def test_room_follows_capacity_and_mixing_rules(capacities, load, channel, exclusive, blocking):
    """has_room agrees with the rules as specified for any load, capacity and mixing."""
    p, s = profile(capacities=capacities), state(load=load)
    mix = sel.Mixing(exclusive=exclusive, blocking=blocking)
    assert sel.has_room(p, s, channel, mix) == _room_as_specified(p, s, channel, mix)
