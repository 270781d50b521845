"""E-mail in the demo: sample threads imported into the mailbox, and an agent's reply sent
over SMTP to the demo's local sink (thread headers, plain and HTML parts) instead of failing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from balie.channels.email.demo import DemoMail, start_demo_mail
from balie.channels.models import OutboxEntry
from balie.conversations.actions import check_send_reply
from balie.conversations.models import Conversation, Message


@pytest.fixture
def demo_mail(mail_channel) -> Iterator[DemoMail]:  # type: ignore[no-untyped-def]
    mail_channel.settings.update({"imap_host": "imap.example", "imap_username": "x"})
    mail_channel.save()
    started = start_demo_mail(mail_channel, count=12)
    yield started
    started.stop()


def test_the_demo_mailbox_has_threads_and_replies_reach_the_sink(
    demo_mail, mail_channel, agent, run_tasks
):
    """Twelve sample mails make e-mail conversations with threaded replies; the channel sends
    to the sink (and reads no IMAP server), and a reply arrives there in its thread."""
    assert demo_mail.imported.stored == 12
    assert demo_mail.imported.threaded > 0
    conversations = Conversation.objects.filter(channel=mail_channel)
    assert conversations.count() >= 3
    mail_channel.refresh_from_db()
    assert mail_channel.settings["smtp_port"] == demo_mail.port
    assert "imap_host" not in mail_channel.settings
    assert "sample mails in balie@gemeente.example" in demo_mail.describe()
    conversation = conversations.order_by("pk").first()
    latest = Message.objects.filter(conversation=conversation).order_by("-pk").first()
    reply = check_send_reply(conversation.pk, agent, "Goedemiddag,\n\nDank voor uw bericht.")
    run_tasks()
    assert OutboxEntry.objects.get(pk=reply.pk).state == "sent"
    reply.refresh_from_db()
    (sent,) = [m for m in demo_mail.sink.received if m["Message-ID"] == reply.provider_id]
    assert sent["In-Reply-To"] == latest.provider_id
    assert sent.get_body(("html",)).get_content().count("<p>") == 2


def test_without_an_email_channel_the_demo_says_so(db):
    """A configuration without a mailbox starts no sink and says so on start-up."""
    started = start_demo_mail(None)
    assert started.controller is None
    assert "no e-mail channel" in started.describe()
