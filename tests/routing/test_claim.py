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


#: Statements of one claim that assigns (auto-accept) every contact of its batch, whatever
#: its size. SQLite: the savepoint; lock entries with conversations, lock agents, count their
#: load; write conversations, status history, routing records, entries, agent states; release.
#: PostgreSQL: the savepoint, the three reads in one round trip, the writes in one, release.
CLAIM_QUERIES = {"sqlite": 10, "postgresql": 4}


def _claim_queries(org, web, passport, make_agent, run_tasks, contacts: int) -> int:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    waiting = [_queued(web, run_tasks, f"c{n}@example.nl") for n in range(contacts)]
    agents = [
        make_agent(f"q{contacts}_{i}", skills={passport: 3}, channels={"webchat": 4})
        for i in range(contacts)
    ]
    board = boards.board_for(org, clock.now(), fresh=True)
    entries = {e.conversation_id: e.pk for e in QueueEntry.objects.all()}
    requests = [
        Request(entries[c.pk], NEED, [a.pk for a in agents[i:] + agents[:i]])
        for i, c in enumerate(waiting)
    ]
    with CaptureQueriesContext(connection) as queries:
        result = claim(board, requests)
    assert all(c.agent_id is not None for c in result.values())
    return len(queries)


@pytest.mark.slow
@pytest.mark.parametrize("contacts", [1, 12])
def test_a_claim_takes_the_same_statements_for_one_contact_or_many(
    org, web, passport, make_agent, run_tasks, contacts
):
    """A claim's statement count does not grow with its batch (one write per table)."""
    from django.db import connection

    used = _claim_queries(org, web, passport, make_agent, run_tasks, contacts)
    assert used == CLAIM_QUERIES[connection.vendor]


#: A sweep over one batch, the same for 2 contacts or 20: reloading the board, the batch's
#: locking read and its entries, the claim (above), and the empty batch that ends the sweep.
SWEEP_QUERIES = {"sqlite": 26, "postgresql": 16}


@pytest.mark.slow
@pytest.mark.parametrize("contacts", [2, 20])
def test_a_sweep_takes_the_same_statements_for_few_contacts_or_many(
    org, web, passport, make_agent, run_tasks, contacts
):
    """Sweeping one batch costs a fixed number of statements, not one per contact or agent."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from balie.routing.engine import sweep_organisation

    for n in range(contacts):
        _queued(web, run_tasks, f"s{n}@example.nl")
    for i in range(contacts):
        make_agent(f"s{i}", skills={passport: 3}, channels={"webchat": 2}, presence="available")
    with CaptureQueriesContext(connection) as queries:
        placed = sweep_organisation(org.pk)
    assert placed == contacts
    assert len(queries) == SWEEP_QUERIES[connection.vendor]
