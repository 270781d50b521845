"""Data set-up and physical-limit probes for benchmarks/routing.py (not a benchmark itself)."""

from __future__ import annotations

import random
import time

TOPICS = [f"topic{i}" for i in range(12)]
LANGUAGES = ["nl", "en", "es", "ar", "tr"]


def populate(agents: int, queued: int) -> int:
    """Bulk-create the organisation, agents with profiles, and the waiting conversations."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from balie.channels.models import Channel
    from balie.conversations.models import Conversation
    from balie.organisations.models import Agent, Organisation, Topic
    from balie.parties.models import Party
    from balie.routing.models import (
        AgentChannel,
        AgentLanguage,
        AgentSkill,
        AgentTraining,
        QueueEntry,
        Training,
    )

    rng = random.Random(5)  # benchmark data, not secrets
    org = Organisation.objects.create(slug="bench", name="Bench", languages=LANGUAGES)
    crisis = Training.objects.create(organisation=org, code="crisis", name="Crisis")
    topics = Topic.objects.bulk_create(
        Topic(organisation=org, code=c, name=c, min_skill_level=2,
              required_training=crisis if c == "topic0" else None)
        for c in TOPICS
    )  # fmt: skip
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"agent{i}") for i in range(agents)
    )
    staff = Agent.objects.bulk_create(
        Agent(organisation=org, user=u, display_name=u.username, presence="available",
              presence_changed_at=timezone.now())
        for u in users
    )  # fmt: skip
    langs, skills, trainings, chans = [], [], [], []
    for agent in staff:
        langs.append(AgentLanguage(agent=agent, language="nl", proficiency=5))
        for code in rng.sample(LANGUAGES[1:], rng.randint(0, 2)):
            langs.append(AgentLanguage(agent=agent, language=code, proficiency=rng.randint(2, 5)))
        for topic in rng.sample(topics, rng.randint(3, 8)):
            skills.append(AgentSkill(agent=agent, topic=topic, proficiency=rng.randint(1, 5)))
        if rng.random() < 0.2:
            trainings.append(AgentTraining(agent=agent, training=crisis))
        chans.append(AgentChannel(agent=agent, channel_kind="webchat", capacity=4))
        chans.append(AgentChannel(agent=agent, channel_kind="email", capacity=6))
    AgentLanguage.objects.bulk_create(langs)
    AgentSkill.objects.bulk_create(skills)
    AgentTraining.objects.bulk_create(trainings)
    AgentChannel.objects.bulk_create(chans)
    channels = [
        Channel.objects.create(organisation=org, kind=k, key=f"bench-{k}", name=k)
        for k in ("webchat", "email")
    ]
    parties = Party.objects.bulk_create(Party(organisation=org) for _ in range(queued))
    now = timezone.now()
    conversations = Conversation.objects.bulk_create(
        Conversation(organisation=org, channel=channels[n % 2], party=p,
                     topic=rng.choice(topics), priority=1 if n % 20 == 0 else 0,
                     language=rng.choices(LANGUAGES, weights=[70, 15, 7, 4, 4])[0],
                     status="queued")
        for n, p in enumerate(parties)
    )  # fmt: skip
    QueueEntry.objects.bulk_create(
        QueueEntry(conversation=c, organisation=org, channel_kind=c.channel.kind,
                   priority=c.priority, enqueued_at=now)
        for c in conversations
    )  # fmt: skip
    return org.pk


def write_limit(org_id: int, n: int, batch: int) -> float:
    """The database's own limit for these writes: assignments/s for the statements a claimed
    batch makes (UPDATE conversations, INSERT status history and routing records, UPDATE
    queue entries and agent states), without reads, locks, ranking or events."""
    from django.db import transaction

    from balie.conversations.models import Conversation, StatusChange
    from balie.core import clock
    from balie.core.sql import update_rows
    from balie.routing.models import AgentRoutingState, QueueEntry, RoutingRecord

    reset(org_id)
    entries = list(
        QueueEntry.objects.filter(organisation_id=org_id).select_related("conversation")[:n]
    )
    states = list(AgentRoutingState.objects.filter(agent__organisation_id=org_id))
    now = clock.now()
    t0 = time.perf_counter()
    for i in range(0, len(entries), batch):
        chunk = entries[i : i + batch]
        given = [states[(i + j) % len(states)] for j in range(len(chunk))]
        conversations = [e.conversation for e in chunk]
        for entry, state in zip(chunk, given, strict=True):
            entry.conversation.status = "assigned"
            entry.conversation.assignee_id = state.agent_id
            entry.conversation.updated_at = now
            entry.state, entry.agent_id, entry.attempts = "assigned", state.agent_id, 1
            state.handled_today, state.last_assigned_at, state.day = 1, now, now.date()
        with transaction.atomic():
            update_rows(Conversation, conversations, ["status", "assignee_id", "updated_at"])
            StatusChange.objects.bulk_create(
                StatusChange(conversation_id=e.conversation_id, from_status="queued",
                             to_status="assigned", reason="routed") for e in chunk
            )  # fmt: skip
            RoutingRecord.objects.bulk_create(
                RoutingRecord(conversation_id=e.conversation_id, kind="assigned",
                              agent_id=e.agent_id, at=now) for e in chunk
            )  # fmt: skip
            update_rows(QueueEntry, chunk, ["state", "agent_id", "attempts"])
            update_rows(AgentRoutingState, given, ["handled_today", "day", "last_assigned_at"])
    return len(entries) / (time.perf_counter() - t0)


def commit_floor(org_id: int, n: int) -> list[float]:
    """Seconds per smallest write transaction (one agent-state UPDATE, then COMMIT): what one
    decision in its own transaction cannot go below on this server and disk."""
    from django.db import transaction

    from balie.routing.models import AgentRoutingState

    ids = list(AgentRoutingState.objects.filter(agent__organisation_id=org_id)
               .values_list("pk", flat=True)[:n])  # fmt: skip
    out = []
    for i, pk in enumerate(ids):
        t0 = time.perf_counter()
        with transaction.atomic():
            AgentRoutingState.objects.filter(pk=pk).update(handled_today=i)
        out.append(time.perf_counter() - t0)
    return sorted(out)


def reset(org_id: int) -> None:
    """Back to the start: every conversation queued, every entry waiting, agents free."""
    from balie.conversations.models import Conversation
    from balie.routing.board import forget
    from balie.routing.models import AgentRoutingState, QueueEntry

    Conversation.objects.filter(organisation_id=org_id).update(status="queued", assignee=None)
    QueueEntry.objects.filter(organisation_id=org_id).update(
        state="waiting", agent=None, attempts=0
    )
    AgentRoutingState.objects.filter(agent__organisation_id=org_id).update(
        handled_today=0, last_assigned_at=None
    )
    forget(org_id)
