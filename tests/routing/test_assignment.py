"""The engine in the database: eligibility, capacity, notices, escalation, presence."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from balie.conversations.actions import check_change_status
from balie.conversations.models import Conversation, Message
from balie.organisations.actions import do_set_presence
from balie.routing import board
from balie.routing.models import EscalationStep, QueueEntry, RoutingRecord
from tests import factories
from tests.helpers import receive

pytestmark = pytest.mark.django_db


def _ask(web, run_tasks, *, email: str, language: str = "nl", topic: str = "paspoort"):  # type: ignore[no-untyped-def]
    result = receive(web, "Vraag", email=email, language=language, topic_code=topic)
    run_tasks()
    return Conversation.objects.get(pk=result.message.conversation_id)


def test_a_spanish_contact_reaches_the_spanish_speaker(web, passport, make_agent, run_tasks):
    """A Spanish contact goes to the agent who speaks Spanish, not to a Dutch-only colleague."""
    make_agent("nl_only", languages={"nl": 5}, skills={passport: 5})
    spanish = make_agent("hablo", languages={"nl": 4, "es": 5}, skills={passport: 3})
    conversation = _ask(web, run_tasks, email="maria@example.es", language="es")
    assert conversation.status == "assigned"
    assert conversation.assignee == spanish


def test_a_dutch_contact_keeps_the_scarce_spanish_speaker_free(
    web, passport, make_agent, run_tasks
):
    """With both free, a Dutch contact goes to the Dutch-only agent (the rarer skill stays free)."""
    dutch = make_agent("nl_only", languages={"nl": 5}, skills={passport: 3})
    make_agent("hablo", languages={"nl": 5, "es": 5}, skills={passport: 3})
    conversation = _ask(web, run_tasks, email="jan@example.nl")
    assert conversation.assignee == dutch


def test_nobody_eligible_keeps_it_queued_and_tells_the_citizen_once(
    web, passport, make_agent, run_tasks
):
    """Without an eligible agent the contact stays queued and gets one honest automatic message."""
    make_agent("nl_only", languages={"nl": 5}, skills={passport: 3})
    conversation = _ask(web, run_tasks, email="maria@example.es", language="es")
    assert conversation.status == "queued"
    notices = Message.objects.filter(conversation=conversation, direction="outbound")
    assert [m.metadata["automatic"] for m in notices] == ["queue_notice"]
    assert "geen medewerker" in notices[0].body
    from balie.routing.handlers import sweep_queue

    sweep_queue()
    run_tasks()
    assert notices.count() == 1


def test_capacity_is_never_exceeded_and_freed_capacity_is_used(
    web, passport, make_agent, run_tasks
):
    """An agent with capacity 2 gets two chats; the third waits until one is resolved."""
    agent = make_agent("solo", skills={passport: 3}, channels={"webchat": 2})
    first = _ask(web, run_tasks, email="a@example.nl")
    _ask(web, run_tasks, email="b@example.nl")
    third = _ask(web, run_tasks, email="c@example.nl")
    assert Conversation.objects.filter(assignee=agent, status="assigned").count() == 2
    assert third.status == "queued"
    notice = Message.objects.get(conversation=third, direction="outbound")
    assert "minu" in notice.body  # an expected wait, since a qualified agent is on
    check_change_status(first.pk, "resolved", actor=agent)
    run_tasks()
    third.refresh_from_db()
    assert third.status == "assigned"
    assert third.assignee == agent


def test_an_expired_training_does_not_count(org, web, make_agent, run_tasks):
    """A topic that requires a training goes only to agents whose training is still valid."""
    crisis = factories.TrainingFactory(organisation=org, code="crisis")
    topic = factories.TopicFactory(organisation=org, code="nood", required_training=crisis)
    make_agent("lapsed", skills={topic: 5}, trainings=[(crisis, date(2020, 1, 1))])
    valid = make_agent("valid", skills={topic: 3}, trainings=[(crisis, date(2099, 1, 1))])
    conversation = _ask(web, run_tasks, email="x@example.nl", topic="nood")
    assert conversation.assignee == valid


def test_an_agent_without_the_channel_or_off_shift_is_not_eligible(
    web, passport, make_agent, run_tasks
):
    """Agents who do not serve the channel or are outside their shift get nothing."""
    make_agent("mail_only", skills={passport: 5}, channels={"email": 5})
    make_agent(
        "night", skills={passport: 5}, shifts=[{"days": [], "start": "22:00", "end": "23:00"}]
    )
    with time_machine.travel("2026-03-02 10:00:00+01:00", tick=False):
        conversation = _ask(web, run_tasks, email="x@example.nl")
    assert conversation.status == "queued"


def test_escalation_widens_the_skill_requirement_after_the_wait(
    org, web, passport, make_agent, run_tasks
):
    """After the topic's escalation wait, an agent below the minimum level may take the contact."""
    EscalationStep.objects.create(topic=passport, after_s=60, min_skill=1)
    novice = make_agent("novice", skills={passport: 1})
    with time_machine.travel("2026-03-02 10:00:00+01:00", tick=False) as traveller:
        conversation = _ask(web, run_tasks, email="x@example.nl")
        assert conversation.status == "queued"
        traveller.shift(61)
        from balie.routing.handlers import sweep_queue

        sweep_queue()
        run_tasks()
    conversation.refresh_from_db()
    assert conversation.assignee == novice


def test_an_agent_coming_online_picks_up_the_queue(web, passport, make_agent, run_tasks):
    """A waiting contact is assigned as soon as a qualified agent becomes available."""
    agent = make_agent("later", skills={passport: 3}, presence="offline")
    conversation = _ask(web, run_tasks, email="x@example.nl")
    assert conversation.status == "queued"
    do_set_presence(agent.pk, "available")
    run_tasks()
    conversation.refresh_from_db()
    assert conversation.assignee == agent


def test_priority_contacts_go_first(org, web, passport, make_agent, run_tasks):
    """When an agent comes free, the higher-priority contact is served before an older one."""
    urgent = factories.TopicFactory(organisation=org, code="urgent", priority=5)
    agent = make_agent("one", skills={passport: 3, urgent: 3}, presence="offline")
    older = _ask(web, run_tasks, email="a@example.nl")
    newer = _ask(web, run_tasks, email="b@example.nl", topic="urgent")
    from balie.routing.models import AgentChannel

    AgentChannel.objects.filter(agent=agent).update(capacity=1)
    do_set_presence(agent.pk, "available")
    run_tasks()
    newer.refresh_from_db()
    older.refresh_from_db()
    assert (newer.status, older.status) == ("assigned", "queued")


def test_out_of_hours_the_notice_says_when_to_expect_an_answer(
    org, web, passport, make_agent, run_tasks
):
    """Outside business hours the citizen gets one automatic message: the out-of-hours reply
    saying by when to expect an answer (routing publishes the wait but writes no second one)."""
    org.business_hours = {d: [["08:30", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    org.save()
    with time_machine.travel("2026-03-07 11:00:00+01:00", tick=False):  # a Saturday
        conversation = _ask(web, run_tasks, email="x@example.nl")
        run_tasks()
    notice = Message.objects.get(conversation=conversation, direction="outbound")
    assert "maandag" in notice.body
    assert notice.metadata.get("automatic") != "queue_notice"


def test_the_queue_entry_and_records_follow_the_contact(web, passport, make_agent, run_tasks):
    """Routing records why and to whom, and the entry ends when the conversation is resolved."""
    agent = make_agent("one", skills={passport: 3})
    conversation = _ask(web, run_tasks, email="x@example.nl")
    kinds = list(
        RoutingRecord.objects.filter(conversation=conversation).values_list("kind", flat=True)
    )
    assert kinds == ["enqueued", "assigned"]
    check_change_status(conversation.pk, "resolved", actor=agent)
    run_tasks()
    assert QueueEntry.objects.get(conversation=conversation).state == "done"
    assert QueueEntry.objects.get(conversation=conversation).agent_id == agent.pk


def test_a_message_on_a_queued_conversation_the_queue_lost_is_routed(
    web, passport, make_agent, run_tasks
):
    """A queued conversation the queue lost is queued and routed again when the citizen writes."""
    conversation = _ask(web, run_tasks, email="x@example.nl")
    QueueEntry.objects.filter(conversation=conversation).update(state="done")
    agent = make_agent("one", skills={passport: 3})
    board._cache.clear()  # the new agent is seen once the cached board expires
    receive(web, "Nog een vraag", email="x@example.nl")
    run_tasks()
    conversation.refresh_from_db()
    assert (conversation.status, conversation.assignee) == ("assigned", agent)


def test_those_left_waiting_are_told_how_long_in_queue_order(
    web, passport, make_agent, run_tasks, time_machine
):
    """One agent busy with the first contact: the second waits one handling time (7 minutes
    for web chat), the third two, each counting those ahead of it."""
    time_machine.move_to("2026-11-24 09:00:00+00:00", tick=False)  # Tuesday 10:00 local
    make_agent("een", skills={passport: 3}, channels={"webchat": 1})
    asked = []
    for n in "abc":
        asked.append(_ask(web, run_tasks, email=f"{n}@example.nl"))
        time_machine.shift(1)
    first, second, third = asked
    notices = {
        m.conversation_id: m.body
        for m in Message.objects.filter(direction="outbound", metadata__automatic="queue_notice")
    }
    assert first.status == "assigned"
    assert first.pk not in notices
    assert "ongeveer 7 minuten" in notices[second.pk]
    assert "ongeveer 14 minuten" in notices[third.pk]
