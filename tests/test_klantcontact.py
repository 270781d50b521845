"""Every handled contact is recorded as a klantcontact; tokens come from the command line."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from balie.conversations.actions import check_change_status, check_send_reply
from balie.conversations.models import Klantcontact
from tests import factories
from tests.helpers import receive

pytestmark = pytest.mark.django_db


def test_resolving_records_a_klantcontact(channel, agent, organisation, events):
    """Resolution writes a klantcontact with channel, topic, language code and reference."""
    factories.TopicFactory(organisation=organisation, code="afval", name="Afval en grofvuil")
    conversation = receive(channel, "Grofvuil niet opgehaald", topic_code="afval", language="nl")
    conversation = conversation.message.conversation
    check_send_reply(conversation.pk, agent, "We komen morgen langs.")
    with transaction.atomic():
        check_change_status(conversation.pk, "resolved", actor=agent)
    record = Klantcontact.objects.get()
    assert (record.kanaal, record.onderwerp, record.taal) == ("api", "Afval en grofvuil", "nld")
    assert record.inhoud == "Grofvuil niet opgehaald"
    assert record.indicatie_contact_gelukt is True
    assert record.referentienummer == f"BAL-{conversation.pk:07d}"
    assert record.agent == agent
    assert len(events.named("klantcontact_recorded")) == 1


def test_each_handled_round_is_its_own_record(channel, agent):
    """A conversation resolved, reopened by the citizen and resolved again has two records."""
    conversation = receive(channel).message.conversation
    for _ in range(2):
        with transaction.atomic():
            check_change_status(conversation.pk, "resolved", actor=agent)
        receive(channel, "Nog een vraag")
        with transaction.atomic():
            check_change_status(conversation.pk, "assigned", actor=agent)
    assert Klantcontact.objects.filter(conversation=conversation).count() == 2


def test_an_unanswered_contact_is_recorded_as_not_succeeded(channel, agent):
    """Resolving without any reply records indicatie_contact_gelukt = False."""
    conversation = receive(channel).message.conversation
    with transaction.atomic():
        check_change_status(conversation.pk, "resolved", actor=agent)
    assert Klantcontact.objects.get().indicatie_contact_gelukt is False


def test_create_token_for_an_unknown_user_fails_clearly():
    """An unknown user name is a clear command error."""
    with pytest.raises(CommandError, match="no user named"):
        call_command("create_token", "niemand")
