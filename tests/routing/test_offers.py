"""Offers (accept, decline, timeout), supervisor actions and the queue feed."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from rest_framework.test import APIClient

from balie.api.auth import do_create_token
from balie.conversations.models import Conversation
from balie.core.errors import Forbidden, InvalidInput
from balie.routing.feeds import queue_snapshot
from balie.routing.handlers import lapse_offers
from balie.routing.models import Offer, RoutingRecord, RoutingSettings
from balie.routing.supervise import check_assign_by_hand, check_reprioritise
from tests.helpers import receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def offering(org):  # type: ignore[no-untyped-def]
    """Web chats are offered (not auto-accepted), with a 30-second timeout."""
    return RoutingSettings.objects.create(
        organisation=org, auto_accept_kinds=["email"], offer_timeout_s=30
    )


def _client(agent) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {do_create_token(agent.user)}")
    return client


def _ask(web, run_tasks, email: str = "x@example.nl"):  # type: ignore[no-untyped-def]
    result = receive(web, "Vraag", email=email, language="nl", topic_code="paspoort")
    run_tasks()
    return Conversation.objects.get(pk=result.message.conversation_id)


def test_an_accepted_offer_assigns_the_contact(offering, web, passport, make_agent, run_tasks):
    """The agent accepts the offer through the API and the conversation becomes theirs."""
    agent = make_agent("piet", skills={passport: 3})
    conversation = _ask(web, run_tasks)
    assert conversation.status == "queued"
    offer = Offer.objects.get()
    response = _client(agent).post(f"/routing/offers/{offer.pk}/accept/")
    assert response.status_code == 200
    conversation.refresh_from_db()
    assert (conversation.status, conversation.assignee) == ("assigned", agent)


def test_a_declined_offer_goes_to_the_next_agent_and_is_recorded(
    offering, web, passport, make_agent, run_tasks
):
    """Declining moves the contact to another eligible agent; the decline is kept."""
    first = make_agent("piet", skills={passport: 3})
    second = make_agent("kees", skills={passport: 3})
    _ask(web, run_tasks)
    offer = Offer.objects.get()
    other = second if offer.agent == first else first
    response = _client(offer.agent).post(f"/routing/offers/{offer.pk}/decline/")
    assert response.status_code == 200
    outcomes = list(Offer.objects.order_by("pk").values_list("agent_id", "outcome"))
    assert outcomes == [(offer.agent_id, "declined"), (other.pk, "pending")]
    assert RoutingRecord.objects.filter(kind="declined", agent=offer.agent).exists()


def test_another_agent_cannot_answer_an_offer(offering, web, passport, make_agent, run_tasks):
    """Only the agent an offer was made to can accept it; to anyone else it is not found."""
    make_agent("piet", skills={passport: 3})
    outsider = make_agent("kees", skills={passport: 3}, channels={"email": 1})
    _ask(web, run_tasks)
    offer = Offer.objects.get()
    response = _client(outsider).post(f"/routing/offers/{offer.pk}/accept/")
    assert response.status_code == 404  # the same answer as an absent offer: ids not probed
    assert response.json()["error"]["code"] == "not_found"
    assert Offer.objects.get().outcome == "pending"


def test_an_offer_that_times_out_moves_on(offering, web, passport, make_agent, run_tasks):
    """After the timeout the offer lapses, is recorded, and the next agent is offered."""
    make_agent("piet", skills={passport: 3})
    make_agent("kees", skills={passport: 3})
    with time_machine.travel("2026-03-02 10:00:00+01:00", tick=False) as traveller:
        _ask(web, run_tasks)
        first = Offer.objects.get()
        traveller.shift(timedelta(seconds=31))
        lapse_offers()
    first.refresh_from_db()
    assert first.outcome == "timed_out"
    pending = Offer.objects.get(outcome="pending")
    assert pending.agent_id != first.agent_id


def test_a_supervisor_assigns_by_hand_with_a_reason(web, passport, make_agent, run_tasks):
    """A supervisor may assign over the router, must give a reason, and it is recorded."""
    boss = make_agent("baas", is_supervisor=True, channels={"email": 1})
    novice = make_agent("nieuw", skills={}, channels={"email": 1})
    conversation = _ask(web, run_tasks)
    assert conversation.status == "queued"
    with pytest.raises(InvalidInput):
        check_assign_by_hand(conversation.pk, novice.pk, actor=boss, reason="  ")
    with pytest.raises(Forbidden):
        check_assign_by_hand(conversation.pk, novice.pk, actor=novice, reason="ik wil")
    check_assign_by_hand(conversation.pk, novice.pk, actor=boss, reason="inwerken")
    conversation.refresh_from_db()
    assert conversation.assignee == novice
    entry = RoutingRecord.objects.get(kind="assigned_by_hand")
    assert (entry.actor, entry.reason) == (boss, "inwerken")


def test_a_supervisor_reprioritises_through_the_api(web, passport, make_agent, run_tasks):
    """Raising a queued contact's priority is recorded with the supervisor's reason."""
    boss = make_agent("baas", is_supervisor=True, channels={"email": 1})
    conversation = _ask(web, run_tasks)
    response = _client(boss).post(
        f"/routing/conversations/{conversation.pk}/reprioritise/",
        {"priority": 7, "reason": "kwetsbare burger"},
        format="json",
    )
    assert response.status_code == 200
    conversation.refresh_from_db()
    assert conversation.priority == 7
    assert conversation.queue_entry.priority == 7
    with pytest.raises(Forbidden):
        check_reprioritise(conversation.pk, 1, actor=make_agent("x"), reason="r")


def test_the_feed_shows_queue_lengths_longest_wait_and_agents(
    web, passport, make_agent, run_tasks, events
):
    """The feed counts waiting contacts per channel, the longest wait, and agents by presence."""
    agent = make_agent("piet", skills={}, presence="away")
    with time_machine.travel("2026-03-02 10:00:00+01:00", tick=False) as traveller:
        _ask(web, run_tasks, "a@example.nl")
        _ask(web, run_tasks, "b@example.nl")
        traveller.shift(90)
        snapshot = queue_snapshot(web.organisation_id)
        from balie.routing.feeds import publish_snapshots

        publish_snapshots()
    assert snapshot["queues"]["webchat"] == {"waiting": 2, "offered": 0, "longest_wait_s": 90}
    assert snapshot["agents"] == {"away": 1}
    assert events.named("queue_snapshot")
    response = _client(agent).get("/routing/feed/")
    assert response.json()["queues"]["webchat"]["waiting"] == 2


def test_a_supervisor_moves_a_contact_to_a_topic_others_can_take(
    org, web, passport, make_agent, run_tasks
):
    """Moving a waiting contact to another topic routes it to an agent qualified for that topic."""
    from tests import factories

    general = factories.TopicFactory(organisation=org, code="algemeen")
    boss = make_agent("baas", is_supervisor=True, channels={"email": 1})
    generalist = make_agent("breed", skills={general: 3})
    conversation = _ask(web, run_tasks)
    assert conversation.status == "queued"
    response = _client(boss).post(
        f"/routing/conversations/{conversation.pk}/move/",
        {"topic": "algemeen", "reason": "geen paspoortvraag"},
        format="json",
    )
    assert response.status_code == 200
    conversation.refresh_from_db()
    assert (conversation.topic, conversation.assignee) == (general, generalist)
    assert RoutingRecord.objects.get(kind="moved").reason == "algemeen: geen paspoortvraag"


def test_accepting_an_offer_for_a_contact_handled_meanwhile_closes_it(
    offering, web, passport, make_agent, run_tasks
):
    """A contact resolved while it was offered: accepting answers 'lapsed', and the offer and
    its queue entry are closed for good (not rolled back to pending)."""
    from balie.core.errors import WorkflowViolation
    from balie.routing.models import EntryState, QueueEntry
    from balie.routing.offers import do_accept_offer

    agent = make_agent("piet", skills={passport: 3})
    conversation = _ask(web, run_tasks)
    offer = Offer.objects.get()
    Conversation.objects.filter(pk=conversation.pk).update(status="resolved")
    with pytest.raises(WorkflowViolation):
        do_accept_offer(offer.pk, agent)
    offer.refresh_from_db()
    assert offer.outcome != "pending"
    assert offer.decided_at is not None
    assert QueueEntry.objects.get(conversation=conversation).state == EntryState.DONE
