"""Sending replies over SMTP through the outbox, to a real aiosmtpd server on loopback: the
thread headers, plain and HTML parts, retries, bounced addresses; and direct SMTP intake."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from email import message_from_bytes, policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from balie.channels.email.adapter import EmailAdapter
from balie.channels.email.models import UndeliverableAddress
from balie.channels.email.samples import build
from balie.channels.models import OutboxEntry
from balie.conversations.actions import check_send_reply
from balie.conversations.models import Conversation, Message
from tests.email.dovecot import free_port


class Inbox:
    """An aiosmtpd handler that keeps what it is sent (or refuses with ``refuse``)."""

    def __init__(self) -> None:
        self.received: list[Any] = []
        self.refuse = ""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return self.refuse
        self.received.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def smtp_channel(mail_channel, smtp_server):  # type: ignore[no-untyped-def]
    mail_channel.settings.update(
        {"smtp_host": "127.0.0.1", "smtp_port": smtp_server[1], "smtp_security": "none"}
    )
    mail_channel.save()
    return mail_channel


def test_reply_keeps_the_thread(smtp_channel, smtp_server, import_mail, agent, run_tasks):
    """An agent's reply goes out with our Message-ID, In-Reply-To, References, Re: subject
    with the token, and plain and HTML parts; the citizen's answer threads back to it."""
    inbox, _ = smtp_server
    import_mail(
        build(
            message_id="<c2@burger.example>",
            subject="Paspoort",
            references=["<c1@burger.example>"],
        )
    )
    conversation = Conversation.objects.get()
    reply = check_send_reply(conversation.pk, agent, "Goedemiddag,\n\nU kunt een afspraak maken.")
    run_tasks()
    (sent,) = inbox.received
    reply.refresh_from_db()
    assert sent["Message-ID"] == reply.provider_id == f"<{reply.uuid}@gemeente.example>"
    assert sent["In-Reply-To"] == "<c2@burger.example>"
    assert sent["References"] == "<c1@burger.example> <c2@burger.example>"
    assert sent["Subject"] == f"Re: Paspoort [#B-{conversation.pk}]"
    assert sent["To"] == "jan@burger.example"
    assert "Auto-Submitted" not in sent
    assert sent.get_body(("plain",)).get_content().startswith("Goedemiddag,")
    assert "<p>U kunt een afspraak maken.</p>" in sent.get_body(("html",)).get_content()
    out = import_mail(
        build(message_id="<c3@burger.example>", in_reply_to=reply.provider_id, subject="Re: x")
    )
    assert out["threaded"] == 1
    assert Message.objects.get(provider_id="<c3@burger.example>").reply_to_id == reply.pk


def test_temporary_refusal_is_retried(smtp_channel, smtp_server, import_mail, agent, run_tasks):
    """A 451 from the server leaves the reply waiting for a retry; a 550 fails it."""
    inbox, _ = smtp_server
    import_mail(build(message_id="<t1@burger.example>"))
    conversation = Conversation.objects.get()
    inbox.refuse = "451 4.3.0 try again later"
    reply = check_send_reply(conversation.pk, agent, "Antwoord")
    run_tasks()
    assert OutboxEntry.objects.get(pk=reply.pk).state == "waiting"
    inbox.refuse = "550 5.1.1 no such user"
    second = check_send_reply(conversation.pk, agent, "Nog een antwoord")
    run_tasks()
    assert OutboxEntry.objects.get(pk=second.pk).state == "failed"


def test_bounced_address_is_not_mailed(smtp_channel, smtp_server, import_mail, agent, run_tasks):
    """After a bounce the address is refused without contacting the server."""
    inbox, _ = smtp_server
    import_mail(build(message_id="<b1@burger.example>"))
    UndeliverableAddress.objects.create(
        organisation=smtp_channel.organisation,
        address="jan@burger.example",
        last_bounce_at="2026-11-30T10:00:00Z",
    )
    reply = check_send_reply(Conversation.objects.get().pk, agent, "Antwoord")
    run_tasks()
    assert OutboxEntry.objects.get(pk=reply.pk).state == "failed"
    assert inbox.received == []


def test_automatic_mail_is_marked_and_never_answers_a_list(smtp_channel, import_mail):
    """Balie's automatic mail carries Auto-Submitted; none goes to mail that asked for none."""
    import_mail(build(message_id="<n1@burger.example>", headers={"List-Id": "<l.example>"}))
    conversation = Conversation.objects.get()
    notice = Message(
        conversation=conversation,
        channel=smtp_channel,
        direction="outbound",
        body="U staat in de wachtrij.",
        metadata={"automatic": "queue_notice"},
    )
    notice.save()
    with pytest.raises(Exception, match="asked for none"):
        EmailAdapter().send(notice)
    Message.objects.filter(provider_id="<n1@burger.example>").update(metadata={"email": {}})
    from balie.channels.email.adapter import compose

    assert compose(notice)["Auto-Submitted"] == "auto-replied"


@pytest.mark.django_db(transaction=True)
def test_direct_smtp_intake(mail_channel):
    """Mail handed to Balie's own SMTP listener goes through the same intake."""
    from balie.channels.email.smtpd import listener

    port = free_port()
    controller = listener(mail_channel, "127.0.0.1", port)
    controller.start()
    try:
        with smtplib.SMTP("127.0.0.1", port) as client:
            client.sendmail(
                "jan@burger.example",
                ["balie@gemeente.example"],
                build(message_id="<smtp1@burger.example>"),
            )
    finally:
        controller.stop()
    assert Message.objects.filter(provider_id="<smtp1@burger.example>").exists()


def test_reply_has_plain_and_safe_html_with_greeting_and_signature(
    smtp_channel, smtp_server, import_mail, agent, run_tasks
):
    """The reply as the composer fills it (opening, text, signature) goes out as
    multipart/alternative: the plain part verbatim, the HTML part escaped, in paragraphs,
    with links; and with the thread headers."""
    from balie.replies.library import greeting_text
    from balie.replies.models import Greeting

    inbox, _ = smtp_server
    import_mail(build(message_id="<f1@burger.example>", subject="Afval"))
    conversation = Conversation.objects.get()
    Greeting.objects.create(
        organisation=smtp_channel.organisation, language="nl", tone="u",
        opening="Beste {naam},", signature="Met vriendelijke groet,\n{voornaam_medewerker}",
    )  # fmt: skip
    parts = greeting_text(conversation, agent, "u")
    body = (
        f"{parts['opening']}\n\nZie https://www.gemeente.example/afval?wijk=1&dag=2 of mail "
        f"afval@gemeente.example.\n<script>alert(1)</script>\n\n{parts['signature']}"
    )
    reply = check_send_reply(conversation.pk, agent, body)
    run_tasks()
    (sent,) = inbox.received
    assert sent.get_content_type() == "multipart/alternative"
    assert sent["In-Reply-To"] == "<f1@burger.example>"
    assert sent["References"] == "<f1@burger.example>"
    assert sent["Message-ID"] == f"<{reply.uuid}@gemeente.example>"
    plain = sent.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert plain.rstrip("\n") == body.strip()
    assert plain.startswith("Beste Jan")
    html_part = sent.get_body(("html",)).get_content().replace("\r\n", "\n")
    first_name = agent.display_name.split()[0]
    assert "<p>Beste Jan" in html_part
    assert f"<p>Met vriendelijke groet,<br>\n{first_name}</p>" in html_part
    assert (
        '<a href="https://www.gemeente.example/afval?wijk=1&amp;dag=2">'
        "https://www.gemeente.example/afval?wijk=1&amp;dag=2</a>" in html_part
    )
    assert '<a href="mailto:afval@gemeente.example">afval@gemeente.example</a>.' in html_part
    assert "<script>" not in html_part
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_part
