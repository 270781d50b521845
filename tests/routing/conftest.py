"""Fixtures for routing: an organisation with Dutch and Spanish, agents with profiles."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from balie.organisations.models import Agent
from tests import factories


@pytest.fixture
def org(db: None):  # type: ignore[no-untyped-def]
    return factories.OrganisationFactory(
        slug="consulaat", name="Consulaat", languages=["nl", "es", "en"]
    )


@pytest.fixture
def web(org):  # type: ignore[no-untyped-def]
    return factories.ChannelFactory(organisation=org, key="web", kind="webchat")


@pytest.fixture
def passport(org):  # type: ignore[no-untyped-def]
    return factories.TopicFactory(organisation=org, code="paspoort", min_skill_level=2)


@pytest.fixture
def make_agent(org) -> Callable[..., Agent]:  # type: ignore[no-untyped-def]
    """An available agent with languages, skills (topic → level), trainings and channels."""

    def make(
        name: str,
        *,
        languages: dict[str, int] | None = None,
        skills: dict[Any, int] | None = None,
        trainings: list[Any] | None = None,
        channels: dict[str, int] | None = None,
        **fields: Any,
    ) -> Agent:
        agent = factories.AgentFactory(
            organisation=org, user__username=name, display_name=name, **fields
        )
        for code, level in (languages or {"nl": 5}).items():
            factories.AgentLanguageFactory(agent=agent, language=code, proficiency=level)
        for topic, level in (skills or {}).items():
            factories.AgentSkillFactory(agent=agent, topic=topic, proficiency=level)
        for training in trainings or []:
            if isinstance(training, tuple):
                factories.AgentTrainingFactory(
                    agent=agent, training=training[0], valid_until=training[1]
                )
            else:
                factories.AgentTrainingFactory(agent=agent, training=training)
        for kind, capacity in (channels or {"webchat": 2}).items():
            factories.AgentChannelFactory(agent=agent, channel_kind=kind, capacity=capacity)
        return agent

    return make
