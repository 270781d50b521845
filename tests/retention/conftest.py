"""Contacts to retain or destroy: a resolved conversation with messages, a file and a
klantcontact, written at a chosen time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.base import ContentFile

from balie.conversations.models import Attachment, Conversation, Klantcontact, Message
from balie.core import clock
from tests import factories

NOW = datetime.fromisoformat("2027-03-01T09:00:00+00:00")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Attachments in a temporary folder."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def frozen():  # type: ignore[no-untyped-def]
    """The clock stands at NOW while the test runs (the retention job's 'today')."""
    with time_machine.travel(NOW, tick=False):
        yield NOW


def make_contact(
    organisation: Any,
    *,
    resolved_days_ago: int,
    party: Any = None,
    channel: Any = None,
    topic: Any = None,
    status: str = "resolved",
    agent: Any = None,
) -> Conversation:
    """A conversation resolved ``resolved_days_ago`` days before NOW with two messages (one with
    a stored file), a klantcontact, and a digital address."""
    at = NOW - timedelta(days=resolved_days_ago)
    with time_machine.travel(at - timedelta(hours=1), tick=False):
        party = party or factories.PartyFactory(organisation=organisation)
        address = factories.DigitalAddressFactory(party=party)
        conversation = factories.ConversationFactory(
            organisation=organisation,
            party=party,
            address=address,
            status=status,
            subject="Paspoort kwijt",
            topic=topic,
            assignee=agent,
            **({"channel": channel} if channel else {}),
        )
        Message.objects.create(
            conversation=conversation,
            channel=conversation.channel,
            direction="inbound",
            body="Mijn naam is Jan, 0612345678",
        )
        reply = Message.objects.create(
            conversation=conversation,
            channel=conversation.channel,
            direction="outbound",
            body="Dag Jan, wij bellen u terug.",
            author=agent,
        )
        attachment = Attachment(message=reply, content_type="text/plain", filename="brief.txt")
        attachment.file.save("brief.txt", ContentFile(b"persoonlijke brief"), save=True)
        Klantcontact.objects.create(
            organisation=organisation,
            conversation=conversation,
            party=party,
            agent=agent,
            kanaal=conversation.channel.kind,
            onderwerp="Paspoort",
            inhoud="Jan belt over zijn paspoort",
            taal="dut",
            plaatsgevonden_op=clock.now(),
        )
    Conversation.objects.filter(pk=conversation.pk).update(resolved_at=at, updated_at=at)
    conversation.refresh_from_db()
    return conversation
