"""The transcript by e-mail: through the organisation's e-mail channel's SMTP server (a
real aiosmtpd on loopback), otherwise through Django's mail backend."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes, policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from asgiref.sync import async_to_sync
from django.core import mail

from balie.audit.models import AuditEntry
from balie.conversations.actions import check_send_reply
from balie.conversations.models import Message
from balie.core.worker import run_ready_tasks
from tests import factories
from tests.email.dovecot import free_port
from tests.webchat.conftest import Visitor

pytestmark = pytest.mark.django_db(transaction=True)


class Inbox:
    """An aiosmtpd handler that keeps what it is sent."""

    def __init__(self) -> None:
        self.received: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(
            (envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default))
        )
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def _chat_and_ask_transcript(agent: Any, address: str) -> dict:
    async def scenario() -> dict:
        visitor = Visitor()
        await visitor.start()
        await visitor.send({"type": "message", "client_id": "1", "text": "Wanneer is het open?"})
        ack = await visitor.until("ack")
        message = await Message.objects.aget(pk=ack["id"])
        from asgiref.sync import sync_to_async

        await sync_to_async(check_send_reply)(message.conversation_id, agent, "Morgen om 9 uur.")
        await visitor.send({"type": "transcript", "address": address})
        answer = await visitor.frame()
        while answer["type"] == "message":
            answer = await visitor.frame()
        await visitor.close()
        return answer

    return async_to_sync(scenario)()


def test_the_transcript_goes_through_the_email_channels_smtp_server(
    webchat, agent, organisation, smtp_server
):
    """With an e-mail channel, the transcript is sent over its SMTP server, automatic,
    with both sides of the chat; the request is audited."""
    inbox, port = smtp_server
    factories.ChannelFactory(
        organisation=organisation,
        kind="email",
        key="post",
        name="Gemeente Testdam",
        settings={
            "address": "info@testdam.example",
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_security": "none",
        },
    )
    assert _chat_and_ask_transcript(agent, "jan@voorbeeld.nl") == {"type": "transcript_queued"}
    run_ready_tasks()
    [(recipients, sent)] = inbox.received
    assert recipients == ["jan@voorbeeld.nl"]
    assert sent["Auto-Submitted"] == "auto-generated"
    assert "info@testdam.example" in sent["From"]
    text = sent.get_content()
    assert "Wanneer is het open?" in text
    assert "Morgen om 9 uur." in text
    assert AuditEntry.objects.filter(action="webchat_transcript_requested").count() == 1


def test_without_an_email_channel_django_mail_sends_it(webchat, agent, settings):
    """No e-mail channel: Django's mail backend sends the transcript."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _chat_and_ask_transcript(agent, "jan@voorbeeld.nl")
    run_ready_tasks()
    [sent] = mail.outbox
    assert sent.to == ["jan@voorbeeld.nl"]
    assert "Morgen om 9 uur." in sent.body
    assert sent.subject.startswith("Uw chatgesprek")


def test_a_transcript_to_a_bad_address_is_refused(webchat, agent):
    """An invalid address gets invalid_email; nothing is queued."""
    assert _chat_and_ask_transcript(agent, "niet-een-adres")["code"] == "invalid_email"
    assert run_ready_tasks() >= 0
    assert not AuditEntry.objects.filter(action="webchat_transcript_requested").exists()
