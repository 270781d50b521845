"""IMAP intake against a real Dovecot on loopback: new mail, the UID cursor, UIDVALIDITY,
IDLE, reconnect after a restart, a 25 MB attachment and a malformed message."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from django.core.management import call_command

from balie.channels.email.imap import mailboxes, watch
from balie.channels.email.models import MailboxCursor, QuarantinedMail
from balie.channels.email.samples import build
from balie.conversations.models import Attachment, Message


def poll(capsys: pytest.CaptureFixture[str]) -> dict[str, int]:
    capsys.readouterr()
    call_command("email_poll", "--channel", "imap")
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_poll_reads_new_mail_once(imap_channel, dovecot, capsys):
    """APPENDed mail is stored by email_poll; a second poll reads nothing (the UID cursor)."""
    dovecot.append(build(message_id="<i1@b.example>"))
    dovecot.append(build(message_id="<i2@b.example>", sender="els@b.example"))
    assert poll(capsys)["stored"] == 2
    assert poll(capsys)["read"] == 0
    cursor = MailboxCursor.objects.get(channel=imap_channel)
    assert cursor.last_uid == 2
    dovecot.append(build(message_id="<i3@b.example>"))
    assert poll(capsys)["read"] == 1


def test_uidvalidity_change_resyncs_without_duplicates(imap_channel, dovecot, capsys):
    """A recreated mailbox (new UIDVALIDITY) is read again; known mail is not stored twice."""
    imap_channel.settings["imap_mailboxes"] = ["Postbus"]
    imap_channel.save()
    dovecot.append(build(message_id="<v1@b.example>"), "Postbus")
    assert poll(capsys)["stored"] == 1
    before = MailboxCursor.objects.get().uidvalidity
    client = dovecot.client()
    client.delete_folder("Postbus")
    client.create_folder("Postbus")
    client.logout()
    dovecot.append(build(message_id="<v1@b.example>"), "Postbus")
    dovecot.append(build(message_id="<v2@b.example>"), "Postbus")
    out = poll(capsys)
    assert (out["read"], out["stored"], out["duplicates"]) == (2, 1, 1)
    assert MailboxCursor.objects.get().uidvalidity != before
    assert Message.objects.filter(provider_id="<v1@b.example>").count() == 1


def test_malformed_mail_is_quarantined_and_the_next_arrives(imap_channel, dovecot, capsys):
    """A message without a sender is quarantined; the one after it is stored."""
    dovecot.append(b"Subject: no sender at all\r\n\r\nbody\r\n")
    dovecot.append(build(message_id="<after@b.example>"))
    out = poll(capsys)
    assert (out["quarantined"], out["stored"]) == (1, 1)
    assert QuarantinedMail.objects.get().source == "imap:INBOX/1"


@pytest.mark.slow
def test_a_25_mb_attachment_arrives(imap_channel, dovecot, capsys):
    """A 25 MB attachment (34 MB in base64) is fetched alone and stored whole."""
    data = bytes(range(256)) * (25_000_000 // 256)
    dovecot.append(
        build(message_id="<big@b.example>", attachments=[("scan.tif", "image/tiff", data)])
    )
    assert poll(capsys)["stored"] == 1
    attachment = Attachment.objects.get()
    assert attachment.size == len(data)
    with attachment.file.open("rb") as handle:
        assert handle.read() == data


@pytest.fixture
def watching(imap_channel) -> Iterator[threading.Event]:
    """The IDLE loop of the channel's INBOX in a thread, stopped afterwards."""
    stop = threading.Event()
    thread = threading.Thread(target=watch, args=(imap_channel, mailboxes(imap_channel)[0], stop))
    thread.start()
    yield stop
    stop.set()
    thread.join(10)


def arrives(message_id: str, within: float = 8.0) -> Callable[[], float]:
    started = time.monotonic()
    while time.monotonic() - started < within:
        if Message.objects.filter(provider_id=message_id).exists():
            return time.monotonic() - started  # type: ignore[return-value]
        time.sleep(0.05)
    raise AssertionError(f"{message_id} did not arrive within {within} s")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_idle_delivers_and_survives_a_restart(watching, dovecot):
    """IDLE brings new mail within seconds; after Dovecot restarts the loop reconnects."""
    time.sleep(0.5)  # the first poll and IDLE are under way
    dovecot.append(build(message_id="<idle1@b.example>"))
    assert arrives("<idle1@b.example>") < 5
    dovecot.restart()
    dovecot.append(build(message_id="<idle2@b.example>"))
    arrives("<idle2@b.example>", within=15)
    assert Message.objects.filter(provider_id__startswith="<idle").count() == 2


def test_periodic_poll_reads_channels_without_an_idle_worker(imap_channel, dovecot):
    """The worker's periodic job polls the mailbox; a channel watched by email_idle is left
    to that worker."""
    from balie.channels.email.imap import poll_all

    dovecot.append(build(message_id="<job1@b.example>"))
    imap_channel.settings["imap_idle"] = True
    imap_channel.save()
    assert poll_all() == 0
    imap_channel.settings["imap_idle"] = False
    imap_channel.save()
    assert poll_all() == 1
    assert Message.objects.filter(provider_id="<job1@b.example>").exists()
