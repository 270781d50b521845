"""Fixtures of the conduct tests: a team with two agents and a supervisor, a citizen writing."""

from __future__ import annotations

import pytest
from django.db import transaction

from balie.conduct.actions import StepInput, check_confirm_block, check_take_step
from balie.conversations.actions import do_assign
from balie.conversations.actions.status import lock_conversation
from tests import factories
from tests.helpers import receive

CITIZEN = "boos@example.nl"


@pytest.fixture
def team(organisation):  # type: ignore[no-untyped-def]
    return factories.TeamFactory(organisation=organisation)


@pytest.fixture
def channel(organisation, team):  # type: ignore[no-untyped-def]
    return factories.ChannelFactory(
        organisation=organisation, key="formulier", kind="api", team=team
    )


@pytest.fixture
def agent(organisation, team):  # type: ignore[no-untyped-def]
    agent = factories.AgentFactory(organisation=organisation, user__username="agent1")
    agent.teams.add(team)
    return agent


@pytest.fixture
def colleague(organisation, team):  # type: ignore[no-untyped-def]
    colleague = factories.AgentFactory(organisation=organisation, user__username="agent2")
    colleague.teams.add(team)
    return colleague


@pytest.fixture
def supervisor(organisation, team):  # type: ignore[no-untyped-def]
    boss = factories.AgentFactory(
        organisation=organisation, user__username="teamleider", is_supervisor=True
    )
    boss.teams.add(team)
    return boss


def assign(conversation, agent):  # type: ignore[no-untyped-def]
    """Give the conversation to ``agent`` (the router would)."""
    with transaction.atomic():
        do_assign(lock_conversation(conversation.pk), agent, reason="test")
    conversation.refresh_from_db()
    return conversation


@pytest.fixture
def conversation(channel, agent):  # type: ignore[no-untyped-def]
    """An abusive message from the citizen, assigned to ``agent``."""
    result = receive(channel, "Jullie zijn een stelletje idioten!", email=CITIZEN)
    return assign(result.message.conversation, agent)


def walk_to_announced(conversation, agent):  # type: ignore[no-untyped-def]
    """Name, warn, announce: the steps before a block may be asked."""
    for step in ("name", "warn", "announce"):
        check_take_step(conversation, agent, StepInput(step=step))


def block(conversation, agent, confirmer, until=None):  # type: ignore[no-untyped-def]
    """Walk the whole procedure and have ``confirmer`` confirm the block; returns the block."""
    walk_to_announced(conversation, agent)
    asked = check_take_step(
        conversation, agent, StepInput(step="request_block", reason="bleef schelden", until=until)
    )
    check_confirm_block(asked.block_id, confirmer)
    return asked.block
