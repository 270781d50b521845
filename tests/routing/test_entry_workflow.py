"""The queue entry workflow table, walked as scenarios, and the actions that go through it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import transaction
from hypothesis import given
from hypothesis import strategies as st

from balie.conversations.actions import check_change_status
from balie.conversations.models import Conversation
from balie.core import clock
from balie.routing import actions
from balie.routing.actions import (
    ENTRY_TRANSITIONS,
    EntryTransitionNotAllowed,
    check_entry_transition,
    do_move_entry,
    do_withdraw_offers,
    lock_entry,
    move_entry,
)
from balie.routing.models import EntryState, Offer, QueueEntry, RoutingSettings
from balie.routing.supervise import check_assign_by_hand
from tests.helpers import receive

E = EntryState
SCENARIOS = {
    "offered and accepted, then finished": [E.OFFERED, E.ASSIGNED, E.DONE],
    "declined, offered again, accepted": [E.OFFERED, E.WAITING, E.OFFERED, E.ASSIGNED],
    "assigned at once, sent back, assigned": [E.ASSIGNED, E.WAITING, E.ASSIGNED, E.DONE],
    "answered while waiting, the citizen writes again": [E.DONE, E.WAITING, E.OFFERED],
    "the caller hangs up during the offer": [E.OFFERED, E.DONE],
    "reassigned by a supervisor, reopened after done": [E.ASSIGNED, E.ASSIGNED, E.DONE, E.ASSIGNED],
}


def _entry(state: EntryState = E.WAITING, agent_id: int | None = None) -> QueueEntry:
    return QueueEntry(state=state, agent_id=agent_id, enqueued_at=clock.now())


@pytest.mark.parametrize("steps", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_every_scenario_walks_the_table(steps):
    """Each scenario is a path of allowed moves from a waiting entry."""
    entry = _entry()
    for n, target in enumerate(steps):
        agent = None if target in (E.WAITING, E.DONE) else 100 + n
        assert move_entry(entry, target, agent_id=agent) is True
        assert entry.state == target


def test_an_offer_is_made_only_to_a_waiting_entry():
    """Only the router offers, and only what waits: no other state leads to offered."""
    sources = {t.source for t in ENTRY_TRANSITIONS if t.target == E.OFFERED}
    assert sources == {E.WAITING}


def test_every_state_can_get_back_to_waiting_or_is_waiting():
    """No dead end: from every state the entry can be queued again (directly or via done)."""
    for state in EntryState:
        seen, frontier = {state}, [state]
        while frontier:
            source = frontier.pop()
            for t in ENTRY_TRANSITIONS:
                if t.source == source and t.target not in seen:
                    seen.add(t.target)
                    frontier.append(t.target)
        assert E.WAITING in seen


@given(st.sampled_from(list(EntryState)), st.sampled_from(list(EntryState)))
def test_check_entry_transition_agrees_with_the_table(source, target):
    """check_entry_transition allows exactly the pairs listed in ENTRY_TRANSITIONS."""
    listed = any(t.source == source and t.target == target for t in ENTRY_TRANSITIONS)
    try:
        check_entry_transition(source, target)
    except EntryTransitionNotAllowed:
        assert not listed
    else:
        assert listed


def test_a_move_outside_the_table_is_refused_and_changes_nothing():
    """An assigned entry cannot be offered: move_entry raises and leaves the entry as it was."""
    entry = _entry(E.ASSIGNED, agent_id=7)
    with pytest.raises(EntryTransitionNotAllowed) as raised:
        move_entry(entry, E.OFFERED, agent_id=8)
    assert raised.value.status == 409
    assert (entry.state, entry.agent_id) == (E.ASSIGNED, 7)


def test_a_repeated_move_is_no_move_and_waiting_has_no_agent():
    """The same state with the same agent changes nothing; going back to waiting drops the agent."""
    entry = _entry(E.DONE, agent_id=7)
    assert move_entry(entry, E.DONE) is False
    assert move_entry(entry, E.WAITING, agent_id=7) is True
    assert (entry.state, entry.agent_id) == (E.WAITING, None)


# --- The actions in the database ---------------------------------------------------------


@pytest.fixture
def offering(org):  # type: ignore[no-untyped-def]
    """Web chats are offered (not auto-accepted)."""
    return RoutingSettings.objects.create(
        organisation=org, auto_accept_kinds=["email"], offer_timeout_s=30
    )


def _offered(web, run_tasks) -> Conversation:  # type: ignore[no-untyped-def]
    result = receive(web, "Vraag", email="x@example.nl", language="nl", topic_code="paspoort")
    run_tasks()
    conversation = Conversation.objects.get(pk=result.message.conversation_id)
    assert conversation.queue_entry.state == E.OFFERED
    return conversation


@pytest.mark.django_db
def test_do_move_entry_writes_the_move_and_refuses_others(
    offering, web, passport, make_agent, run_tasks
):
    """do_move_entry saves an allowed move and raises on a forbidden one, writing nothing."""
    make_agent("piet", skills={passport: 3})
    conversation = _offered(web, run_tasks)
    with transaction.atomic():
        entry = lock_entry(conversation.pk)
        assert entry is not None
        assert do_move_entry(entry, E.DONE) is True
    entry.refresh_from_db()
    assert entry.state == E.DONE
    with transaction.atomic():
        entry = lock_entry(conversation.pk)
        assert entry is not None
        with pytest.raises(EntryTransitionNotAllowed):
            do_move_entry(entry, E.OFFERED, agent_id=entry.agent_id)
    entry.refresh_from_db()
    assert entry.state == E.DONE


@pytest.mark.django_db
def test_withdrawing_sets_the_outcome_the_time_and_publishes(
    offering, web, passport, make_agent, run_tasks, events
):
    """do_withdraw_offers ends the pending offers with decided_at and one offer_resolved each."""
    agent = make_agent("piet", skills={passport: 3})
    conversation = _offered(web, run_tasks)
    offer = Offer.objects.get()
    with transaction.atomic():
        withdrawn = do_withdraw_offers([lock_entry(conversation.pk)])  # type: ignore[list-item]
        assert do_withdraw_offers([lock_entry(conversation.pk)]) == []  # type: ignore[list-item]
    assert [o.pk for o in withdrawn] == [offer.pk]
    offer.refresh_from_db()
    assert offer.outcome == "withdrawn"
    assert offer.decided_at is not None
    resolved = events.named("offer_resolved")
    assert [(e.offer_id, e.agent_id, e.outcome) for e in resolved] == [
        (offer.pk, agent.pk, "withdrawn")
    ]
    assert resolved[0].conversation_id == conversation.pk


@pytest.mark.django_db
def test_a_supervisor_assignment_withdraws_the_offer_through_the_action(
    offering, web, passport, make_agent, run_tasks, events
):
    """Assigning an offered contact by hand withdraws the offer with a time and an event."""
    make_agent("piet", skills={passport: 3})
    boss = make_agent("baas", is_supervisor=True, channels={"email": 1})
    chosen = make_agent("kees", skills={}, channels={"email": 1})
    conversation = _offered(web, run_tasks)
    check_assign_by_hand(conversation.pk, chosen.pk, actor=boss, reason="inwerken")
    offer = Offer.objects.get()
    assert (offer.outcome, offer.decided_at is not None) == ("withdrawn", True)
    entry = QueueEntry.objects.get(conversation=conversation)
    assert (entry.state, entry.agent_id) == (E.ASSIGNED, chosen.pk)
    assert [e.outcome for e in events.named("offer_resolved")] == ["withdrawn"]


@pytest.mark.django_db
def test_a_finished_conversation_withdraws_its_offer_and_closes_the_entry(
    offering, web, passport, make_agent, run_tasks, events
):
    """Resolving an offered contact withdraws the offer (with a time) and marks the entry done."""
    agent = make_agent("piet", skills={passport: 3})
    conversation = _offered(web, run_tasks)
    with transaction.atomic():
        check_change_status(conversation.pk, "resolved", actor=agent)
    run_tasks()
    offer = Offer.objects.get()
    assert (offer.outcome, offer.decided_at is not None) == ("withdrawn", True)
    assert QueueEntry.objects.get(conversation=conversation).state == E.DONE
    assert events.named("offer_resolved")


def test_no_module_but_the_actions_writes_an_entry_state_or_withdraws_an_offer():
    """Entry states and withdrawals are written only in routing/actions.py (one way to change)."""
    root = Path(actions.__file__).resolve().parents[1]
    forbidden = re.compile(
        r"\.state\s*=\s*EntryState\.|update\(state=EntryState|outcome=OfferOutcome\.WITHDRAWN"
    )
    offenders = [
        f"{path.relative_to(root)}:{n}"
        for path in root.rglob("*.py")
        if path.name != "actions.py" and "migrations" not in path.parts
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if forbidden.search(line)
    ]
    assert offenders == []
