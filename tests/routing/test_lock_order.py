"""Lock order on PostgreSQL: two actions on the same contact at once never deadlock.

Every action that locks several rows takes the queue entry, then the conversation, then the
agent (``balie.routing.actions``). Each thread here pauses right after its first row lock until
the other has taken its own first lock too (or a second has passed): with the supervisor's
assignment locking the conversation first, as it once did, the two then wait for each other
and PostgreSQL aborts one with "deadlock detected"; in one order, the second simply waits.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from balie.conversations.models import Conversation
from balie.core.errors import WorkflowViolation
from balie.organisations.models import Agent
from balie.routing.models import EntryState, Offer, QueueEntry, RoutingSettings
from balie.routing.offers import do_accept_offer
from balie.routing.supervise import check_assign_by_hand
from tests.helpers import receive

#: How long a thread holding its first lock waits for the other to take its own.
RENDEZVOUS_S = 1.0


def _run_together(*actions: Callable[[], Any]) -> list[BaseException | None]:
    """Run each action in its own thread and database connection; each pauses after its
    first ``FOR UPDATE`` until all have taken one (or ``RENDEZVOUS_S`` passed)."""
    rendezvous = threading.Barrier(len(actions))
    start = threading.Barrier(len(actions))
    outcomes: list[BaseException | None] = [None] * len(actions)

    def pause_after_first_lock(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        result = execute(sql, params, many, context)
        if "FOR UPDATE" in sql and not getattr(local, "paused", False):
            local.paused = True
            # Broken: the other is waiting for our lock (the order is right), go on.
            with contextlib.suppress(threading.BrokenBarrierError):
                rendezvous.wait(timeout=RENDEZVOUS_S)
        return result

    local = threading.local()

    def run(index: int, action: Callable[[], Any]) -> None:
        try:
            start.wait()
            with connection.execute_wrapper(pause_after_first_lock):
                action()
        except BaseException as exc:  # reported to the test
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a thread hangs"
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_supervisor_assignment_and_an_accepted_offer_do_not_deadlock(
    org, web, passport, make_agent, run_tasks
):
    """Assigning by hand while the offered agent accepts: both finish, one of them wins."""
    RoutingSettings.objects.create(organisation=org, auto_accept_kinds=["email"])
    offered = make_agent("piet", skills={passport: 3})
    boss = make_agent("baas", is_supervisor=True, channels={"email": 1})
    chosen = make_agent("kees", skills={}, channels={"email": 1})
    result = receive(web, "Vraag", email="x@example.nl", language="nl", topic_code="paspoort")
    run_tasks()
    conversation_id = result.message.conversation_id
    offer = Offer.objects.get()
    assert offer.agent_id == offered.pk

    outcomes = _run_together(
        lambda: check_assign_by_hand(conversation_id, chosen.pk, actor=boss, reason="inwerken"),
        lambda: do_accept_offer(offer.pk, Agent.objects.get(pk=offered.pk)),
    )

    assert outcomes[0] is None, f"the supervisor's assignment failed: {outcomes[0]!r}"
    refused = outcomes[1]
    assert refused is None or (
        isinstance(refused, WorkflowViolation) and refused.code == "offer_lapsed"
    ), f"accepting failed otherwise: {refused!r}"
    offer.refresh_from_db()
    assert offer.decided_at is not None
    assert offer.outcome == ("accepted" if refused is None else "withdrawn")
    conversation = Conversation.objects.get(pk=conversation_id)
    # The supervisor's choice stands either way: it ran after the accept, or instead of it.
    assert (conversation.status, conversation.assignee_id) == ("assigned", chosen.pk)
    entry = QueueEntry.objects.get(conversation_id=conversation_id)
    assert entry.state == EntryState.ASSIGNED
