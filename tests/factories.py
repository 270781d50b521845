"""factory_boy factories for the domain models."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from balie.channels.models import Channel
from balie.core import clock
from balie.organisations.models import Agent, Organisation, Presence, Team, Topic
from balie.parties.models import DigitalAddress, Party
from balie.routing.models import AgentChannel, AgentLanguage, AgentSkill, AgentTraining, Training


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"gemeente-{n}")
    name = factory.Sequence(lambda n: f"Gemeente Test {n}")
    languages = ["nl", "en"]


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    organisation = factory.SubFactory(OrganisationFactory)
    slug = factory.Sequence(lambda n: f"team-{n}")
    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("wachtwoord-test-123")


class AgentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agent

    organisation = factory.SubFactory(OrganisationFactory)
    user = factory.SubFactory(UserFactory)
    display_name = factory.Sequence(lambda n: f"Medewerker {n}")
    presence = Presence.AVAILABLE


class TrainingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Training

    organisation = factory.SubFactory(OrganisationFactory)
    code = factory.Sequence(lambda n: f"training-{n}")
    name = factory.Sequence(lambda n: f"Training {n}")


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    organisation = factory.SubFactory(OrganisationFactory)
    code = factory.Sequence(lambda n: f"topic-{n}")
    name = factory.Sequence(lambda n: f"Onderwerp {n}")


class AgentLanguageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgentLanguage

    agent = factory.SubFactory(AgentFactory)
    language = "nl"
    proficiency = 5


class AgentSkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgentSkill

    agent = factory.SubFactory(AgentFactory)
    topic = factory.SubFactory(TopicFactory)
    proficiency = 3


class AgentTrainingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgentTraining

    agent = factory.SubFactory(AgentFactory)
    training = factory.SubFactory(TrainingFactory)


class AgentChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgentChannel

    agent = factory.SubFactory(AgentFactory)
    channel_kind = "api"
    capacity = 3


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel

    organisation = factory.SubFactory(OrganisationFactory)
    kind = "api"
    key = factory.Sequence(lambda n: f"kanaal-{n}")
    name = factory.Sequence(lambda n: f"Kanaal {n}")
    secrets = factory.LazyFunction(lambda: {"signing_secret": "test-signing-secret"})


class PartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Party

    organisation = factory.SubFactory(OrganisationFactory)
    display_name = factory.Faker("name", locale="nl_NL")


class DigitalAddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DigitalAddress

    party = factory.SubFactory(PartyFactory)
    organisation = factory.SelfAttribute("party.organisation")
    kind = "email"
    value = factory.Sequence(lambda n: f"burger{n}@example.nl")


class ConversationFactory(factory.django.DjangoModelFactory):
    """A conversation with its own channel and party in the same organisation."""

    class Meta:
        model = "conversations.Conversation"

    organisation = factory.SubFactory(OrganisationFactory)
    channel = factory.SubFactory(
        ChannelFactory, organisation=factory.SelfAttribute("..organisation")
    )
    party = factory.SubFactory(PartyFactory, organisation=factory.SelfAttribute("..organisation"))
    status = "queued"


class CallFactory(factory.django.DjangoModelFactory):
    """A call on a phone conversation's channel, queued now (neither answered nor ended)."""

    class Meta:
        model = "phone.Call"

    conversation = factory.SubFactory(ConversationFactory, channel__kind="phone", status="assigned")
    channel = factory.SelfAttribute("conversation.channel")
    call_id = factory.Sequence(lambda n: f"call-{n}")
    queued_at = factory.LazyFunction(clock.now)
