"""E-mail in ``balie demo``: sample threads in the inbox and a local SMTP sink for replies.

The demo organisation's mailbox gets a few generated citizen threads (:mod:`.samples`: Dutch
and English, replies quoting what they answer, legacy charsets, an attachment now and then)
through the one intake, so the inbox shows e-mail conversations at once; and the channel's
outgoing SMTP is pointed at an aiosmtpd sink on loopback, so an agent's reply is really sent
over SMTP (thread headers, plain and HTML parts) and lands there instead of failing.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import structlog

from balie.channels.email.intake import Counts, RawMail, ingest
from balie.channels.email.samples import corpus
from balie.channels.models import Channel

log = structlog.get_logger(__name__)

#: sample messages imported at start (threads of 1–5)
SAMPLE_COUNT = 16
#: the sink keeps the latest replies, for a look in a debugger or a test
KEPT = 100


@dataclass
class Sink:
    """An aiosmtpd handler that accepts every message and keeps the latest few."""

    received: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        mail = message_from_bytes(envelope.content, policy=policy.default)
        self.received = [*self.received[-(KEPT - 1) :], mail]
        log.info("demo_mail_sent", to=str(mail.get("To", "")), subject=str(mail["Subject"]))
        return "250 2.0.0 delivered to the demo sink"


@dataclass
class DemoMail:
    """The running sink and what was imported; ``stop()`` it with the demo."""

    channel: Channel | None
    sink: Sink
    port: int
    imported: Counts
    controller: Any = None

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def describe(self) -> str:
        """The demo's start-up line about e-mail."""
        if self.channel is None:
            return "  E-mail:     no e-mail channel in this configuration"
        address = self.channel.settings.get("address", self.channel.key)
        return (
            f"  E-mail:     {self.imported.stored} sample mails in {address}; replies go to an"
            f" SMTP sink on 127.0.0.1:{self.port}"
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_demo_mail(channel: Channel | None, *, count: int = SAMPLE_COUNT) -> DemoMail:
    """Start the SMTP sink, point ``channel``'s sending at it (no IMAP: the demo has no
    mailbox server) and import ``count`` sample messages; nothing when ``channel`` is None."""
    from aiosmtpd.controller import Controller

    sink = Sink()
    if channel is None:
        return DemoMail(None, sink, 0, Counts())
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings = {
        key: value for key, value in channel.settings.items() if not key.startswith("imap_")
    }
    settings.update({"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none"})
    # Demo wiring: the mailbox sends to the local sink, not to a real mail server.
    Channel.objects.filter(pk=channel.pk).update(settings=settings)
    channel.refresh_from_db()
    imported = ingest(channel, [RawMail(s.raw, "demo") for s in corpus(count, seed=7)])
    return DemoMail(channel, sink, port, imported, controller)
