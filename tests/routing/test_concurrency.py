"""Four OS processes routing hundreds of simultaneous arrivals on PostgreSQL."""

from __future__ import annotations

import multiprocessing
from collections import Counter

import pytest
from django.db import connection
from django.db.models import Count

from balie.conversations.models import Conversation, StatusChange
from balie.routing.models import AgentChannel, Offer, QueueEntry, RoutingSettings
from tests import factories
from tests.helpers import receive
from tests.routing.concurrency_worker import work

ARRIVALS = 320
PROCESSES = 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_processes_never_exceed_capacity_nor_assign_twice(org, passport, make_agent):
    """Under concurrent arrivals, presence changes and declines, capacity and uniqueness hold."""
    RoutingSettings.objects.create(
        organisation=org, auto_accept_kinds=["email"], offer_timeout_s=600
    )
    web = factories.ChannelFactory(organisation=org, key="web", kind="webchat")
    mail = factories.ChannelFactory(organisation=org, key="mail", kind="email")
    spanish = factories.TopicFactory(organisation=org, code="visado")
    agents = []
    for i in range(24):
        languages = {"nl": 5, "es": 4} if i % 4 == 0 else {"nl": 5}
        skills = {passport: 3, spanish: 3} if i % 4 == 0 else {passport: 2 + i % 3}
        agents.append(
            make_agent(f"m{i}", languages=languages, skills=skills,
                       channels={"webchat": 1 + i % 3, "email": 2})
        )  # fmt: skip
    ids = []
    for n in range(ARRIVALS):
        channel = web if n % 2 else mail
        language, topic = ("es", "visado") if n % 5 == 0 else ("nl", "paspoort")
        result = receive(channel, "Vraag", email=f"b{n}@example.nl", language=language,
                         topic_code=topic)  # fmt: skip
        ids.append(result.message.conversation_id)
    db_name = connection.settings_dict["NAME"]
    agent_ids = [a.pk for a in agents]
    context = multiprocessing.get_context("spawn")
    with context.Pool(PROCESSES) as pool:
        shares = [ids[i::PROCESSES] for i in range(PROCESSES)]
        done = pool.starmap(work, [(db_name, i, s, agent_ids) for i, s in enumerate(shares)])
    assert sum(done) == ARRIVALS

    capacity = {(c.agent_id, c.channel_kind): c.capacity for c in AgentChannel.objects.all()}
    load: Counter[tuple[int, str]] = Counter()
    for row in (
        Conversation.objects.filter(status="assigned")
        .values("assignee_id", "channel__kind")
        .annotate(n=Count("id"))
    ):
        load[row["assignee_id"], row["channel__kind"]] += row["n"]
    for offer in Offer.objects.filter(outcome="pending").select_related("entry"):
        load[offer.agent_id, offer.entry.channel_kind] += 1
    assert load, "nothing was assigned"
    for key, n in load.items():
        assert n <= capacity[key], f"agent {key} holds {n} > {capacity[key]}"
    # Never assigned twice: one move to "assigned" per conversation, one pending offer at most.
    moves = Counter(
        StatusChange.objects.filter(to_status="assigned").values_list("conversation_id", flat=True)
    )
    assert max(moves.values()) == 1
    pending = Counter(
        Offer.objects.filter(outcome="pending").values_list("entry__conversation_id", flat=True)
    )
    assert not pending or max(pending.values()) == 1
    # Nothing silently unassigned: every conversation is assigned, offered or waiting.
    states = Counter(QueueEntry.objects.values_list("state", flat=True))
    assert sum(states.values()) == ARRIVALS
    assert set(states) <= {"assigned", "offered", "waiting"}
    assert states["waiting"] > 0  # demand exceeded capacity, so the contention was real
    assert Offer.objects.filter(outcome="declined").exists()
