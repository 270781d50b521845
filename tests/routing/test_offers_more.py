"""Offers, supervisor actions, waiting notices and routing's event predicates at their edges:
lapsed and repeated answers, the events they publish, refusals that change nothing, the
honest wait message in both languages, and the query counts of the periodic jobs."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from balie.api.auth import do_create_token
from balie.conversations.models import Conversation, Message
from balie.conversations.workflow import Status
from balie.core.errors import Forbidden, InvalidInput, WorkflowViolation
from balie.routing import handlers, waiting
from balie.routing.claim import ROUTED
from balie.routing.models import EntryState, Offer, OfferOutcome, QueueEntry, RoutingSettings
from balie.routing.notices import Notice, do_send_queue_notices, notice_text
from balie.routing.offers import do_accept_offer, do_decline_offer, expire_offers
from balie.routing.supervise import check_assign_by_hand, check_move, check_reprioritise
from balie.workforce import erlang
from tests import factories
from tests.helpers import receive

pytestmark = pytest.mark.django_db
API = "/api/v1/routing"


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


def _ask(web, run_tasks, email: str = "x@example.nl", **fields):  # type: ignore[no-untyped-def]
    fields.setdefault("language", "nl")
    fields.setdefault("topic_code", "paspoort")
    result = receive(web, "Vraag", email=email, **fields)
    run_tasks()
    return Conversation.objects.get(pk=result.message.conversation_id)


# --- offers -------------------------------------------------------------------------------


def test_accepting_an_expired_offer_before_the_sweep_is_refused_as_lapsed(
    offering, web, passport, make_agent, run_tasks
):
    """An offer past its timeout cannot be accepted even before the periodic job ran (409);
    the sweep then times it out."""
    agent = make_agent("piet", skills={passport: 3})
    with time_machine.travel("2026-03-02 10:00:00+01:00", tick=False) as traveller:
        conversation = _ask(web, run_tasks)
        offer = Offer.objects.get()
        traveller.shift(31)
        response = _client(agent).post(f"{API}/offers/{offer.pk}/accept/")
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "offer_lapsed"
        assert Offer.objects.get().outcome == OfferOutcome.PENDING
        assert expire_offers() == 1
    offer.refresh_from_db()
    conversation.refresh_from_db()
    assert offer.outcome == OfferOutcome.TIMED_OUT
    assert offer.decided_at is not None
    assert conversation.assignee is None


def test_an_offer_cannot_be_accepted_twice(offering, web, passport, make_agent, run_tasks):
    """The second accept of the same offer is a 409, and the first assignment stands."""
    agent = make_agent("piet", skills={passport: 3})
    conversation = _ask(web, run_tasks)
    offer = Offer.objects.get()
    client = _client(agent)
    assert client.post(f"{API}/offers/{offer.pk}/accept/").status_code == 200
    again = client.post(f"{API}/offers/{offer.pk}/accept/")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "offer_lapsed")
    conversation.refresh_from_db()
    assert conversation.assignee == agent
    assert QueueEntry.objects.get().state == EntryState.ASSIGNED


def test_answering_someone_elses_offer_in_the_action_is_a_workflow_violation(
    offering, web, passport, make_agent, run_tasks
):
    """Called directly, accept and decline refuse another agent's offer with 'not_your_offer'."""
    make_agent("piet", skills={passport: 3})
    outsider = make_agent("kees", skills={passport: 3}, channels={"email": 1})
    _ask(web, run_tasks)
    offer = Offer.objects.get()
    for answer in (do_accept_offer, do_decline_offer):
        with pytest.raises(WorkflowViolation) as refused:
            answer(offer.pk, outsider)
        assert refused.value.code == "not_your_offer"
    assert Offer.objects.get().outcome == OfferOutcome.PENDING


def test_declining_an_offer_that_already_timed_out_changes_nothing(
    offering, web, passport, make_agent, run_tasks, events
):
    """A late decline of a lapsed offer neither records a decline nor routes the contact again."""
    agent = make_agent("piet", skills={passport: 3})
    with time_machine.travel("2026-03-02 10:00:00+01:00", tick=False) as traveller:
        _ask(web, run_tasks)
        offer = Offer.objects.get()
        traveller.shift(31)
        expire_offers()
        events.clear()
        offers_before = Offer.objects.count()
        do_decline_offer(offer.pk, agent)
    offer.refresh_from_db()
    assert offer.outcome == OfferOutcome.TIMED_OUT
    assert Offer.objects.count() == offers_before
    assert events.named("offer_resolved") == []


def test_each_answer_publishes_offer_resolved_with_its_outcome(
    offering, web, passport, make_agent, run_tasks, events
):
    """Decline, then accept of the next offer: one offer_resolved each, with the outcome."""
    first = make_agent("piet", skills={passport: 3})
    second = make_agent("kees", skills={passport: 3})
    conversation = _ask(web, run_tasks)
    events.clear()
    offer = Offer.objects.get()
    do_decline_offer(offer.pk, offer.agent)
    nxt = Offer.objects.get(outcome=OfferOutcome.PENDING)
    do_accept_offer(nxt.pk, nxt.agent)
    resolved = [(e.offer_id, e.agent_id, e.outcome) for e in events.named("offer_resolved")]
    assert resolved == [
        (offer.pk, offer.agent_id, "declined"),
        (nxt.pk, nxt.agent_id, "accepted"),
    ]
    assert {offer.agent_id, nxt.agent_id} == {first.pk, second.pk}
    assert all(e.conversation_id == conversation.pk for e in events.named("offer_resolved"))


def test_expiring_many_offers_routes_each_organisation_once(
    offering, web, passport, make_agent, run_tasks, monkeypatch
):
    """Lapsed offers of one organisation are routed again in one call with all their entries."""
    make_agent("piet", skills={passport: 3}, channels={"webchat": 5})
    calls: list[tuple[int, list[int]]] = []
    from balie.routing import offers as offers_module

    def spy(organisation_id, entry_ids):  # type: ignore[no-untyped-def]
        calls.append((organisation_id, sorted(entry_ids)))
        return {}

    monkeypatch.setattr(offers_module, "route_waiting", spy)
    with time_machine.travel("2026-03-02 10:00:00+01:00", tick=False) as traveller:
        for n in range(3):
            _ask(web, run_tasks, email=f"p{n}@example.nl")
        assert Offer.objects.filter(outcome=OfferOutcome.PENDING).count() == 3
        traveller.shift(31)
        assert expire_offers() == 3
    entries = sorted(QueueEntry.objects.values_list("pk", flat=True))
    assert calls == [(web.organisation_id, entries)]
    assert set(QueueEntry.objects.values_list("state", flat=True)) == {EntryState.WAITING}


def test_nothing_to_expire_costs_one_query(django_assert_num_queries):
    """The offers job on a quiet system is a single read."""
    with django_assert_num_queries(1):
        assert expire_offers() == 0


# --- supervisor actions ---------------------------------------------------------------------


def test_reprioritising_a_conversation_that_was_never_queued_is_a_409(channel, organisation, agent):
    """Only what is (or was) in the queue has a priority there: 'not_queued'."""
    boss = factories.AgentFactory(organisation=organisation, is_supervisor=True)
    conversation = factories.ConversationFactory(organisation=organisation, channel=channel)
    response = _client(boss).post(
        f"{API}/conversations/{conversation.pk}/reprioritise/",
        {"priority": 3, "reason": "spoed"},
        format="json",
    )
    assert (response.status_code, response.json()["error"]["code"]) == (409, "not_queued")


def test_moving_to_an_unknown_topic_is_refused_and_nothing_moves(
    web, passport, make_agent, run_tasks
):
    """An unknown topic code is a 400 'unknown_topic'; topic and team stay as they were."""
    boss = make_agent("baas", is_supervisor=True, channels={"email": 1})
    conversation = _ask(web, run_tasks)
    response = _client(boss).post(
        f"{API}/conversations/{conversation.pk}/move/",
        {"topic": "bestaat-niet", "reason": "verkeerd"},
        format="json",
    )
    assert (response.status_code, response.json()["error"]["code"]) == (400, "unknown_topic")
    conversation.refresh_from_db()
    assert conversation.topic == passport


def test_supervise_needs_a_reason_and_a_supervisor_of_the_same_organisation(
    web, passport, make_agent, run_tasks
):
    """Blank reasons are refused; a supervisor of another organisation is Forbidden."""
    boss = make_agent("baas", is_supervisor=True, channels={"email": 1})
    stranger = factories.AgentFactory(is_supervisor=True)
    conversation = _ask(web, run_tasks)
    with pytest.raises(InvalidInput):
        check_move(conversation.pk, "paspoort", actor=boss, reason="   ")
    for act in (
        lambda: check_move(conversation.pk, "paspoort", actor=stranger, reason="r"),
        lambda: check_reprioritise(conversation.pk, 2, actor=stranger, reason="r"),
        lambda: check_assign_by_hand(conversation.pk, boss.pk, actor=stranger, reason="r"),
    ):
        with pytest.raises(Forbidden):
            act()
    conversation.refresh_from_db()
    assert (conversation.priority, conversation.assignee) == (0, None)


def test_assigning_by_hand_to_an_agent_of_another_organisation_is_refused(
    web, passport, make_agent, run_tasks
):
    """The chosen agent must belong to the conversation's organisation ('unknown_agent')."""
    boss = make_agent("baas", is_supervisor=True, channels={"email": 1})
    stranger = factories.AgentFactory()
    conversation = _ask(web, run_tasks)
    response = _client(boss).post(
        f"{API}/conversations/{conversation.pk}/assign/",
        {"agent_id": stranger.pk, "reason": "probeer"},
        format="json",
    )
    assert (response.status_code, response.json()["error"]["code"]) == (400, "unknown_agent")
    assert QueueEntry.objects.get().state == EntryState.WAITING


def test_assigning_an_assigned_conversation_by_hand_hands_it_over(
    web, passport, make_agent, run_tasks
):
    """A supervisor gives an assigned conversation to another agent: the new agent has it and
    the entry stays assigned."""
    boss = make_agent("baas", is_supervisor=True, channels={"email": 1})
    first = make_agent("piet", skills={passport: 3})
    other = make_agent("kees", skills={}, channels={"email": 1})
    conversation = _ask(web, run_tasks)
    assert conversation.assignee == first
    check_assign_by_hand(conversation.pk, other.pk, actor=boss, reason="overname")
    run_tasks()
    conversation.refresh_from_db()
    assert (conversation.status, conversation.assignee) == (Status.ASSIGNED, other)
    assert QueueEntry.objects.get().state == EntryState.ASSIGNED


def test_moving_an_assigned_contact_does_not_route_it_again(
    org, web, passport, make_agent, run_tasks
):
    """A move of a contact that already has its agent changes the topic and keeps the agent."""
    general = factories.TopicFactory(organisation=org, code="algemeen")
    boss = make_agent("baas", is_supervisor=True, channels={"email": 1})
    piet = make_agent("piet", skills={passport: 3, general: 3})
    conversation = _ask(web, run_tasks)
    check_move(conversation.pk, "algemeen", actor=boss, reason="andere vraag")
    conversation.refresh_from_db()
    assert (conversation.topic, conversation.assignee) == (general, piet)


# --- waiting notices --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "wait", "expected"),
    [
        ("nl", 30, "ongeveer 1 minuut te antwoorden"),
        ("nl", 61, "ongeveer 2 minuten te antwoorden"),
        ("en", 60, "in about 1 minute."),
        ("en", 601, "in about 11 minutes."),
        ("nl", 0, "ongeveer 1 minuut"),
    ],
)
def test_the_wait_is_rounded_up_to_whole_minutes_in_the_citizens_language(language, wait, expected):
    """Seconds become at least one minute, rounded up, singular or plural, Dutch or English."""
    assert expected in notice_text(language, wait, None)


def test_out_of_hours_the_notice_names_the_day_and_time_of_opening():
    """Closed: 'from Monday 08:30' in English, 'vanaf maandag 08:30' in Dutch."""
    monday = datetime(2026, 3, 2, 8, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))
    assert "from Monday 08:30" in notice_text("en", None, monday)
    assert "vanaf maandag 08:30" in notice_text("nl", None, monday)
    assert "zondag" in notice_text("nl", None, monday + timedelta(days=6))


def test_with_no_estimate_the_notice_promises_an_answer_when_someone_is_free():
    """No number and no opening time: an honest 'no colleague available' in both languages."""
    assert "geen medewerker beschikbaar" in notice_text("nl", None, None)
    assert "No colleague who can answer it" in notice_text("en", None, None)
    assert "minu" not in notice_text("nl", None, None)


def test_a_notice_is_written_once_per_wait_and_published_each_time_it_is_due(web, org, events):
    """Sending the same notice twice writes one message and one contact_waiting event."""
    result = receive(web, "Hallo", email="w@example.nl")
    conversation = result.message.conversation
    entry = QueueEntry.objects.create(
        conversation=conversation,
        organisation=org,
        channel_kind="webchat",
        enqueued_at=conversation.created_at,
    )
    events.clear()
    with transaction.atomic():
        first = do_send_queue_notices([Notice(entry, conversation, 120, None)])
    with transaction.atomic():
        second = do_send_queue_notices([Notice(entry, conversation, 120, None)])
    assert (len(first), second) == (1, [])
    assert "2 minuten" in first[0].body
    assert [e.expected_wait_s for e in events.named("contact_waiting")] == [120]
    entry.refresh_from_db()
    assert entry.notice_sent_at is not None


def test_a_caller_and_a_closed_office_get_no_written_notice_but_the_wait_is_published(org, events):
    """Phone callers hear the wait from the PBX; out of hours the out-of-hours reply speaks;
    both still publish contact_waiting (with the opening time in its zone)."""
    phone = factories.ChannelFactory(organisation=org, kind="phone", key="tel")
    web = factories.ChannelFactory(organisation=org, kind="webchat", key="chat")
    opens = datetime(2026, 3, 2, 8, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))
    notices = []
    for channel, opens_at in ((phone, None), (web, opens)):
        conversation = factories.ConversationFactory(organisation=org, channel=channel)
        entry = QueueEntry.objects.create(
            conversation=conversation,
            organisation=org,
            channel_kind=channel.kind,
            enqueued_at=conversation.created_at,
        )
        notices.append(Notice(entry, conversation, None if opens_at else 60, opens_at))
    events.clear()
    with transaction.atomic():
        written = do_send_queue_notices(notices)
    assert written == []
    assert not Message.objects.filter(direction="outbound").exists()
    published = [(e.expected_wait_s, e.opens_at) for e in events.named("contact_waiting")]
    assert published == [(60, None), (None, opens.isoformat())]


def test_expected_wait_counts_this_contact_and_those_ahead_over_the_qualified_agents():
    """(ahead + 1) × handling time / agents, rounded; no qualified agent means no number."""
    assert waiting.expected_wait_s(0, 300, 1) == 300
    assert waiting.expected_wait_s(3, 300, 2) == 600
    assert waiting.expected_wait_s(2, 100, 3) == 100
    assert waiting.expected_wait_s(5, 300, 0) is None


def test_the_estimate_out_of_hours_is_the_next_opening_in_the_organisations_zone(org, web):
    """Closed on a Sunday evening: no wait, but Monday's opening, as an aware local time."""
    org.business_hours = {"mon": [["08:30", "17:00"]]}
    org.save()
    conversation = factories.ConversationFactory(organisation=org, channel=web)
    entry = QueueEntry(conversation=conversation, organisation=org, channel_kind="webchat")
    with time_machine.travel("2026-03-01 20:00:00+01:00", tick=False):
        wait, opens = waiting.estimate(org, entry)
    assert wait is None
    assert opens == datetime(2026, 3, 2, 8, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))


def test_the_estimate_is_none_when_nobody_on_shift_qualifies(org, web, passport, make_agent):
    """Open, but no agent on shift has the skill: no honest number (None, None)."""
    make_agent("piet", skills={})
    conversation = factories.ConversationFactory(organisation=org, channel=web, topic=passport)
    entry = QueueEntry.objects.create(
        conversation=conversation,
        organisation=org,
        channel_kind="webchat",
        enqueued_at=conversation.created_at,
    )
    assert waiting.estimate(org, entry) == (None, None)


def test_ahead_of_counts_many_entries_in_one_query(org, web):
    """Entries ahead are counted per channel kind and priority for all entries in one query."""
    base = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("UTC"))
    ids = []
    for n, priority in enumerate([0, 0, 5, 0]):
        conversation = factories.ConversationFactory(organisation=org, channel=web)
        entry = QueueEntry.objects.create(
            conversation=conversation,
            organisation=org,
            channel_kind="webchat",
            priority=priority,
            enqueued_at=base + timedelta(minutes=n),
        )
        ids.append(entry.pk)
    with CaptureQueriesContext(connection) as queries:
        ahead = waiting.ahead_of(ids)
    assert len(queries) == 1
    # earlier arrivals of the same or a higher priority: the urgent third has none before it
    assert [ahead.get(i, 0) for i in ids] == [0, 1, 0, 3]


# --- event predicates -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "target", "reason", "actor", "wanted"),
    [
        ("new", "queued", "", None, False),  # routing queued it itself
        ("assigned", "queued", "", 1, True),  # back in the queue
        ("queued", "assigned", ROUTED, None, False),  # the router's own assignment
        ("queued", "assigned", ROUTED, 7, True),  # same words, but a person did it
        ("queued", "assigned", "accepted the offer", 7, True),
        ("assigned", "resolved", "", 7, True),
        ("assigned", "pending", "", 7, True),
        ("resolved", "closed", "", None, True),
        ("new", "new", "", None, False),
    ],
)
def test_routing_asks_for_a_status_change_task_only_when_it_has_work(
    source, target, reason, actor, wanted
):
    """wants_status_change skips routing's own moves and keeps every other kind of change."""
    payload = {
        "conversation_id": 1,
        "from_status": source,
        "to_status": target,
        "actor_agent_id": actor,
        "reason": reason,
    }
    assert handlers.wants_status_change(payload) is wanted


@pytest.mark.parametrize(
    ("status", "wanted"),
    [("queued", True), ("", True), (None, True), ("new", False), ("assigned", False)],
)
def test_routing_wants_a_message_only_on_a_queued_conversation(status, wanted):
    """A message on a new or assigned conversation needs no routing task."""
    assert handlers.wants_message({"conversation_status": status}) is wanted


def test_a_message_on_an_assigned_conversation_enqueues_no_routing_task(
    web, passport, make_agent, run_tasks
):
    """The citizen writing again to an agent's conversation writes no routing task row."""
    from django_tasks_db.models import DBTaskResult

    make_agent("piet", skills={passport: 3})
    conversation = _ask(web, run_tasks)
    assert conversation.status == Status.ASSIGNED
    receive(web, "Nog een vraag", email="x@example.nl")
    paths = [r.args_kwargs["args"][0] for r in DBTaskResult.objects.filter(status="READY")]
    assert "balie.routing.handlers.on_messages_received" not in paths


def test_a_finished_conversation_frees_its_entry_and_the_next_contact_is_routed(
    web, passport, make_agent, run_tasks
):
    """Resolving the one agent's chat marks its entry done and gives them the waiting one."""
    from balie.conversations.actions import check_change_status

    piet = make_agent("piet", skills={passport: 3}, channels={"webchat": 1})
    first = _ask(web, run_tasks, email="a@example.nl")
    second = _ask(web, run_tasks, email="b@example.nl")
    assert (first.assignee, second.status) == (piet, Status.QUEUED)
    check_change_status(first.pk, "resolved", actor=piet)
    run_tasks()
    second.refresh_from_db()
    entries = dict(QueueEntry.objects.values_list("conversation_id", "state"))
    assert entries == {first.pk: EntryState.DONE, second.pk: EntryState.ASSIGNED}
    assert second.assignee == piet


def test_the_queue_sweep_on_an_empty_queue_is_cheap():
    """With nothing waiting the periodic sweep reads the queue and stops (no per-organisation
    work, no notices)."""
    with CaptureQueriesContext(connection) as queries:
        handlers.sweep_queue()
    statements = [q["sql"].split()[0] for q in queries if "SAVEPOINT" not in q["sql"]]
    assert statements == ["SELECT", "SELECT"]


# --- Erlang C ---------------------------------------------------------------------------------


def test_erlang_refuses_negative_inputs_and_an_impossible_goal():
    """Negative servers or traffic, and a service goal outside (0, 1), are errors."""
    with pytest.raises(ValueError, match="non-negative"):
        erlang.erlang_b(-1, 1.0)
    with pytest.raises(ValueError, match="non-negative"):
        erlang.erlang_b(1, -0.5)
    for goal in (0, 1, 1.5):
        with pytest.raises(ValueError, match="between 0 and 1"):
            erlang.agents_needed(5.0, 300, 20, goal)


def test_erlang_at_its_edges():
    """No traffic never waits; no servers always waits; the mean wait of M/M/1 is ρ/(1−ρ)·AHT."""
    assert erlang.erlang_c(3, 0.0) == 0.0
    assert erlang.erlang_c(0, 1.0) == 1.0
    assert erlang.service_level(0, 1.0, 300, 20) == 0.0
    assert erlang.mean_wait(1, 0.5, 100) == pytest.approx(100.0)
    assert erlang.mean_wait(1, 0.0, 100) == 0.0
    assert erlang.agents_needed(0.0, 300, 20, 0.8) == 1


# --- the router's own safety ------------------------------------------------------------------


def test_the_router_never_assigns_a_contact_that_stopped_waiting(
    org, web, passport, make_agent, run_tasks
):
    """A waiting entry whose conversation was resolved meanwhile (no event yet) is closed by
    the claim instead of being given to the agent who just came free."""
    from balie.routing.board import forget
    from balie.routing.engine import route_waiting

    conversation = _ask(web, run_tasks)
    entry = QueueEntry.objects.get(conversation=conversation)
    assert entry.state == EntryState.WAITING
    agent = make_agent("piet", skills={passport: 3})
    forget(org.pk)  # the board is cached per process: read the new agent
    Conversation.objects.filter(pk=conversation.pk).update(status=Status.RESOLVED)
    route_waiting(org.pk, [entry.pk])
    entry.refresh_from_db()
    conversation.refresh_from_db()
    assert entry.state == EntryState.DONE
    assert conversation.assignee is None
    assert not Conversation.objects.filter(assignee=agent).exists()


def test_more_contacts_than_one_claim_batch_are_all_placed_within_capacity(
    org, web, passport, make_agent, run_tasks, monkeypatch
):
    """With a claim batch of two, seven waiting contacts are decided in several batches: the
    two agents fill their capacity of three, the seventh waits, nobody is over capacity."""
    from balie.routing import engine
    from balie.routing.board import forget

    monkeypatch.setattr(engine, "BATCH", 2)
    conversations = [_ask(web, run_tasks, email=f"b{n}@example.nl") for n in range(7)]
    first = make_agent("piet", skills={passport: 3}, channels={"webchat": 3})
    second = make_agent("kees", skills={passport: 3}, channels={"webchat": 3})
    entries = list(QueueEntry.objects.order_by("pk").values_list("pk", flat=True))
    forget(org.pk)  # the board is cached per process: read the new agents
    claims = engine.route_waiting(org.pk, entries)
    assert len(claims) == 7
    load = {
        agent: Conversation.objects.filter(assignee=agent, status=Status.ASSIGNED).count()
        for agent in (first, second)
    }
    assert load == {first: 3, second: 3}
    waiting = [c for c in conversations if not Conversation.objects.get(pk=c.pk).assignee_id]
    assert len(waiting) == 1
    assert QueueEntry.objects.filter(state=EntryState.WAITING).count() == 1
