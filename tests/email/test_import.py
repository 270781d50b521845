"""``balie email import``: the contract's JSON, dedupe, threading in any order, automatic mail,
bounces, quarantine, legacy charsets and attachments, through the one intake."""

from __future__ import annotations

import json
import mailbox
import random
from pathlib import Path

import pytest

from balie.channels.email.models import PendingReply, QuarantinedMail, UndeliverableAddress
from balie.channels.email.samples import build, corpus
from balie.cli import main
from balie.conversations.models import Attachment, Conversation, Direction, Message

KEYS = {"read", "stored", "duplicates", "threaded", "auto_replies", "bounces", "quarantined",
        "seconds"}  # fmt: skip


def test_prints_the_contract_line(import_mail):
    """One message stored: the one JSON line has exactly the contract's keys."""
    out = import_mail(build(message_id="<a1@burger.example>"))
    assert set(out) == KEYS
    assert (out["read"], out["stored"], out["quarantined"]) == (1, 1, 0)
    message = Message.objects.get(provider_id="<a1@burger.example>")
    assert message.direction == Direction.INBOUND
    assert message.conversation.address.value == "jan@burger.example"
    assert message.conversation.subject == "Vraag"


def test_duplicates_are_stored_once(import_mail):
    """The same Message-ID twice (in one run and in a second run) is stored once."""
    raw = build(message_id="<dup@burger.example>")
    first = import_mail(raw, raw)
    second = import_mail(raw)
    assert (first["stored"], first["duplicates"]) == (1, 1)
    assert (second["stored"], second["duplicates"]) == (0, 1)
    assert Message.objects.filter(provider_id="<dup@burger.example>").count() == 1


def test_reply_before_parent_is_linked_when_parent_arrives(import_mail):
    """A reply imported before the message it answers is linked once that one arrives."""
    parent = build(message_id="<p@burger.example>", subject="Paspoort")
    reply = build(
        message_id="<r@burger.example>",
        subject="Re: Paspoort",
        in_reply_to="<p@burger.example>",
        references=["<p@burger.example>"],
        body="Nog een vraag.\n\nOp 2 nov. 2026 schreef Jan:\n> Mijn paspoort",
    )
    assert import_mail(reply)["threaded"] == 0
    assert PendingReply.objects.count() == 1
    out = import_mail(parent)
    assert out["threaded"] == 1
    stored = Message.objects.get(provider_id="<r@burger.example>")
    assert stored.reply_to.provider_id == "<p@burger.example>"
    assert stored.body == "Nog een vraag."
    assert stored.metadata["email"]["quote"].startswith("Op 2 nov. 2026 schreef Jan:")
    assert PendingReply.objects.count() == 0


@pytest.mark.slow
def test_shuffled_corpus_threads_every_reply(import_mail, tmp_path):
    """300 generated mails in a shuffled order: every reply ends on its parent."""
    samples = corpus(300, seed=3)
    random.Random(5).shuffle(samples)
    out = import_mail(*(s.raw for s in samples))
    assert out["stored"] == 300
    replies = [s for s in samples if s.parent]
    linked = dict(
        Message.objects.filter(provider_id__in=[s.message_id for s in replies]).values_list(
            "provider_id", "reply_to__provider_id"
        )
    )
    assert all(linked[s.message_id] == s.parent for s in replies)


def test_subject_token_threads_without_headers(import_mail, mail_channel):
    """A reply without In-Reply-To/References finds its conversation by the [#B-…] token."""
    import_mail(build(message_id="<first@burger.example>", subject="Afvalpas"))
    conversation = Conversation.objects.get()
    out = import_mail(
        build(message_id="<second@burger.example>", subject=f"Re: Afvalpas [#B-{conversation.pk}]")
    )
    assert out["threaded"] == 1
    reply = Message.objects.get(provider_id="<second@burger.example>")
    assert reply.reply_to.provider_id == "<first@burger.example>"


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"X-Autoreply": "yes"},
        {"Precedence": "bulk"},
        {"X-Auto-Response-Suppress": "All"},
        {},  # the subject below says out of office
    ],
)
def test_automatic_mail_opens_no_conversation(import_mail, headers):
    """Auto-replies never open a conversation: dropped and counted when they answer nothing."""
    out = import_mail(build(subject="Automatisch antwoord: afwezig", headers=headers))
    assert (out["auto_replies"], out["stored"]) == (1, 0)
    assert not Conversation.objects.exists()


def test_auto_reply_on_open_thread_is_a_system_note(import_mail):
    """An out-of-office answer to a message of an open conversation is kept there as a
    system message and does not reopen or count as the citizen writing."""
    import_mail(build(message_id="<q@burger.example>"))
    out = import_mail(
        build(
            message_id="<ooo@burger.example>",
            subject="Out of office",
            in_reply_to="<q@burger.example>",
            headers={"Auto-Submitted": "auto-replied"},
        )
    )
    assert (out["auto_replies"], out["stored"]) == (1, 1)
    note = Message.objects.get(provider_id="<ooo@burger.example>")
    assert note.direction == Direction.SYSTEM
    assert Conversation.objects.count() == 1


DSN = b"""From: MAILER-DAEMON@mx.example
To: balie@gemeente.example
Subject: Undelivered Mail Returned to Sender
Message-ID: <bounce1@mx.example>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

The mail could not be delivered.
--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example

Final-Recipient: rfc822; Weg@Burger.example
Action: failed
Status: 5.1.1

--B--
"""


def test_bounce_marks_the_address(import_mail, organisation):
    """An RFC 3464 report marks the failed address undeliverable and opens nothing."""
    out = import_mail(DSN)
    assert (out["bounces"], out["stored"]) == (1, 0)
    row = UndeliverableAddress.objects.get()
    assert (row.organisation_id, row.address) == (organisation.pk, "weg@burger.example")
    import_mail(DSN.replace(b"bounce1", b"bounce2"))
    row.refresh_from_db()
    assert row.bounces == 2


def test_malformed_message_is_quarantined_and_the_next_arrives(import_mail):
    """A message without a sender goes to quarantine with the reason; the next is stored."""
    out = import_mail(b"\x00\x01garbage without headers\n", build(message_id="<ok@burger.example>"))
    assert (out["quarantined"], out["stored"]) == (1, 1)
    row = QuarantinedMail.objects.get()
    assert "no sender" in row.reason
    assert bytes(row.raw).startswith(b"\x00\x01")


def test_legacy_charsets_decode(import_mail):
    """Latin-1, Windows-1252 (labelled Latin-1), 8-bit without charset and encoded words."""
    latin = build(message_id="<l1@b.example>", charset="iso-8859-1", body="Geachte heer, één café")
    cp1252 = (
        b"From: =?windows-1252?q?Jo=EBl_Dekker?= <joel@b.example>\nTo: balie@gemeente.example\n"
        b"Subject: =?iso-8859-1?q?Vraag_=FCber_kosten?=\nMessage-ID: <w1@b.example>\n"
        b"Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\n"
        b"Kosten \x80 25 \x96 graag snel\n"
    )
    eight_bit = (
        b"From: piet@b.example\nMessage-ID: <e1@b.example>\nSubject: test\n"
        b"Content-Transfer-Encoding: 8bit\n\nCaf\xc3\xa9 open?\n"
    )
    unknown = (
        b"From: kees@b.example\nMessage-ID: <u1@b.example>\nSubject: x\n"
        b"Content-Type: text/plain; charset=x-unknown-42\n\nHallo daar\n"
    )
    out = import_mail(latin, cp1252, eight_bit, unknown)
    assert out["stored"] == 4
    body = dict(Message.objects.values_list("provider_id", "body"))
    assert body["<l1@b.example>"] == "Geachte heer, één café"
    assert body["<w1@b.example>"] == "Kosten € 25 – graag snel"
    assert body["<e1@b.example>"] == "Café open?"
    assert body["<u1@b.example>"] == "Hallo daar"
    cp = Message.objects.get(provider_id="<w1@b.example>")
    assert cp.metadata["email"]["subject"] == "Vraag über kosten"
    assert cp.conversation.party.display_name == "Joël Dekker"
    assert (
        "unknown charset"
        in Message.objects.get(provider_id="<u1@b.example>").metadata["email"]["notes"][0]
    )


def test_attachments_and_sanitised_html_are_kept(import_mail):
    """Every attachment (odd types too) is stored; HTML is sanitised, scripts gone."""
    raw = build(
        message_id="<att@b.example>",
        body="Zie bijlage.",
        html='<p onclick="x()">Zie <b>bijlage</b><script>alert(1)</script></p>',
        attachments=[
            ("scan.pdf", "application/pdf", b"%PDF-1.4 data"),
            ("odd.xyz", "application/x-weird-thing", b"\x00\xff" * 10),
        ],
    )
    import_mail(raw)
    message = Message.objects.get(provider_id="<att@b.example>")
    files = sorted(Attachment.objects.filter(message=message).values_list("filename", "size"))
    assert files == [("odd.xyz", 20), ("scan.pdf", 13)]
    html = message.metadata["email"]["html"]
    assert "<b>bijlage</b>" in html
    assert "script" not in html
    assert "onclick" not in html


def test_maildir_and_mbox_in_the_order_given(mail_channel, tmp_path, capsys):
    """A Maildir folder and an mbox file feed the same intake; a missing path is refused."""
    box = mailbox.Maildir(tmp_path / "md", create=True)
    box.add(build(message_id="<md1@b.example>"))
    mbox = mailbox.mbox(tmp_path / "archive.mbox")
    mbox.add(build(message_id="<mb1@b.example>", sender="els@b.example"))
    mbox.add(build(message_id="<mb2@b.example>", sender="els@b.example"))
    mbox.flush()
    paths = [str(tmp_path / "md"), str(tmp_path / "archive.mbox")]
    assert main(["email", "import", *paths, "--channel", "post"]) == 0
    assert json.loads(capsys.readouterr().out)["stored"] == 3
    assert main(["email", "import", str(tmp_path / "nope"), "--channel", "post"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_import_needs_an_email_channel(channel, tmp_path, capsys):
    """A key that is not an e-mail channel is refused with a clear error."""
    path = Path(tmp_path / "a.eml")
    path.write_bytes(build())
    assert main(["email", "import", str(path), "--channel", channel.key]) == 2
    assert "no e-mail channel" in capsys.readouterr().err


def test_import_batch_queries_are_bounded(import_mail, django_assert_max_num_queries):
    """Fifty new mails cost a fixed number of queries, not one set per mail."""
    raws = [build(message_id=f"<q{n}@b.example>", sender=f"p{n}@b.example") for n in range(50)]
    with django_assert_max_num_queries(40):
        import_mail(*raws)
