"""A municipality where one citizen wrote on WhatsApp, called, and e-mailed: three parties."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction

from balie.channels.phone.actions import CallTask, do_receive_call
from balie.conversations.actions import InboundMessage, do_receive_message
from balie.organisations.models import Agent, AgentRole
from balie.parties.actions import AddressClaim, SenderIdentity
from balie.parties.models import Party
from tests import factories

_ids = itertools.count(1)


def whatsapp(channel: Any, wa_id: str, name: str = "Jan") -> Party:
    """A WhatsApp message as ``channels.whatsapp.received`` receives it (a verified number)."""
    with transaction.atomic():
        result = do_receive_message(
            channel,
            SenderIdentity(primary=AddressClaim("phone", f"+{wa_id}", True), name=name),
            InboundMessage(provider_id=f"wamid.{next(_ids)}", body="Hallo"),
        )
    return result.message.conversation.party


def email(channel: Any, address: str, name: str = "Jan Jansen") -> Party:
    """An e-mail as ``channels.email.intake`` receives a first mail (From not verified)."""
    with transaction.atomic():
        result = do_receive_message(
            channel,
            SenderIdentity(primary=AddressClaim("email", address, False), name=name),
            InboundMessage(provider_id=f"<{next(_ids)}@mail.example>", body="Vraag"),
        )
    return result.message.conversation.party


def call(channel: Any, caller: str) -> Party:
    """A call the PBX reports (``channels.phone``)."""
    do_receive_call(channel, CallTask(call_id=f"call-{next(_ids)}", caller=caller))
    return Party.objects.get(addresses__value=caller)


@dataclass
class World:
    org: Any
    other: Any
    wa: Any
    pbx: Any
    mail: Any
    supervisor: Agent
    agent: Agent
    admin: Agent


@pytest.fixture
def world() -> World:
    """Two organisations; in the first a WhatsApp, a phone and an e-mail channel and the
    people who work there (a supervisor, an agent, an administrator)."""
    org, other = factories.OrganisationFactory(), factories.OrganisationFactory()
    admin = factories.AgentFactory(organisation=org, user__is_superuser=True)
    return World(
        org=org,
        other=other,
        wa=factories.ChannelFactory(organisation=org, kind="whatsapp", key="wa"),
        pbx=factories.ChannelFactory(organisation=org, kind="phone", key="pbx"),
        mail=factories.ChannelFactory(organisation=org, kind="email", key="post"),
        supervisor=factories.AgentFactory(organisation=org, role=AgentRole.SUPERVISOR),
        agent=factories.AgentFactory(organisation=org, role=AgentRole.AGENT),
        admin=admin,
    )
