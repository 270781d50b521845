"""The claim: locks, re-checks under the lock, and a second chance when the first candidates
are taken."""

from __future__ import annotations

import pytest

from balie.conversations.models import Conversation
from balie.core import clock
from balie.routing import board as boards
from balie.routing import selection as sel
from balie.routing.claim import CLAIM_TRIES, Request, claim
from balie.routing.models import QueueEntry, RoutingRecord
from tests.helpers import receive

pytestmark = pytest.mark.django_db

NEED = sel.Need(channel="webchat", language="nl", topic="paspoort", min_skill=2)


def _queued(web, run_tasks, email: str) -> Conversation:  # type: ignore[no-untyped-def]
    result = receive(web, "Vraag", email=email, topic_code="paspoort")
    run_tasks()
    conversation = Conversation.objects.get(pk=result.message.conversation_id)
    assert conversation.status == "queued"  # nobody could take it yet
    return conversation


def _fill(agents, others) -> None:  # type: ignore[no-untyped-def]
    """Give each of ``agents`` (capacity 1) one of ``others`` behind the router's back."""
    for agent, other in zip(agents, others, strict=False):
        Conversation.objects.filter(pk=other.pk).update(status="assigned", assignee=agent)


def test_a_contact_whose_first_candidates_are_full_gets_the_next_one(
    org, web, passport, make_agent, run_tasks
):
    """When the first CLAIM_TRIES candidates turn out full under the lock, the next one takes it."""
    waiting = _queued(web, run_tasks, "citizen@example.nl")
    others = [_queued(web, run_tasks, f"other{n}@example.nl") for n in range(CLAIM_TRIES + 1)]
    agents = [
        make_agent(f"a{i}", skills={passport: 3}, channels={"webchat": 1})
        for i in range(CLAIM_TRIES + 1)
    ]
    board = boards.board_for(org, clock.now(), fresh=True)  # before they fill up: stale
    _fill(agents[:CLAIM_TRIES], others)
    entry = QueueEntry.objects.get(conversation=waiting)

    result = claim(board, [Request(entry.pk, NEED, [a.pk for a in agents])])

    assert result[entry.pk].agent_id == agents[-1].pk
    waiting.refresh_from_db()
    assert (waiting.status, waiting.assignee_id) == ("assigned", agents[-1].pk)
    for agent in agents:  # capacity 1 each, never more
        assert Conversation.objects.filter(assignee=agent, status="assigned").count() == 1
    assert RoutingRecord.objects.filter(conversation=waiting, kind="assigned").count() == 1


def test_with_every_candidate_full_the_contact_waits_and_nothing_is_written(
    org, web, passport, make_agent, run_tasks
):
    """No candidate with room, first or second chance: no free agent, the entry stays waiting."""
    waiting = _queued(web, run_tasks, "citizen@example.nl")
    others = [_queued(web, run_tasks, f"other{n}@example.nl") for n in range(CLAIM_TRIES + 1)]
    agents = [
        make_agent(f"a{i}", skills={passport: 3}, channels={"webchat": 1})
        for i in range(CLAIM_TRIES + 1)
    ]
    board = boards.board_for(org, clock.now(), fresh=True)
    _fill(agents, others)
    entry = QueueEntry.objects.get(conversation=waiting)

    result = claim(board, [Request(entry.pk, NEED, [a.pk for a in agents])])

    assert (result[entry.pk].agent_id, result[entry.pk].reason) == (None, "no free agent")
    entry.refresh_from_db()
    waiting.refresh_from_db()
    assert (entry.state, waiting.status) == ("waiting", "queued")
    assert not RoutingRecord.objects.filter(conversation=waiting, kind="assigned").exists()


def test_the_second_chance_uses_an_agent_the_batch_locked_for_another_contact(
    org, web, passport, make_agent, run_tasks
):
    """A next candidate already locked for a later contact of the batch still takes the first."""
    first = _queued(web, run_tasks, "first@example.nl")
    later = _queued(web, run_tasks, "later@example.nl")
    others = [_queued(web, run_tasks, f"other{n}@example.nl") for n in range(CLAIM_TRIES)]
    full = [
        make_agent(f"a{i}", skills={passport: 3}, channels={"webchat": 1})
        for i in range(CLAIM_TRIES)
    ]
    shared = make_agent("shared", skills={passport: 3}, channels={"webchat": 2})
    board = boards.board_for(org, clock.now(), fresh=True)
    _fill(full, others)
    entries = {e.conversation_id: e.pk for e in QueueEntry.objects.all()}

    result = claim(
        board,
        [
            Request(entries[first.pk], NEED, [*(a.pk for a in full), shared.pk]),
            Request(entries[later.pk], NEED, [shared.pk]),
        ],
    )

    assert result[entries[first.pk]].agent_id == shared.pk
    assert result[entries[later.pk]].agent_id == shared.pk
    assert Conversation.objects.filter(assignee=shared, status="assigned").count() == 2
