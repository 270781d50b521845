"""The pure parser: quoted history and signatures split off, automatic mail recognised, and
any bytes at all either parsed or refused with MailParseError, never another exception."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from balie.channels.email.bodytext import html_to_text, split_reply
from balie.channels.email.parse import MailParseError, parse_mail, thread_subject
from balie.channels.email.samples import build


@pytest.mark.parametrize(
    ("text", "reply", "quote_start"),
    [
        ("Dank u.\n\nOn Mon, 2 Nov 2026, Gemeente wrote:\n> Vraag", "Dank u.", "On Mon"),
        ("Prima\n-----Oorspronkelijk bericht-----\nVan: x", "Prima", "-----Oorspronkelijk"),
        ("Ja.\n\nVan: Gemeente <b@g.nl>\nVerzonden: maandag", "Ja.", "Van: Gemeente"),
        ("Goed\n> eerder\n> nog eerder", "Goed", "> eerder"),
    ],
)
def test_quoted_history_is_split_off(text, reply, quote_start):
    """Dutch, English and Outlook quote markers end the citizen's own words."""
    got_reply, quote, _ = split_reply(text)
    assert got_reply == reply
    assert quote.startswith(quote_start)


def test_signature_and_disclaimer_are_split_off():
    """The '-- ' line and a Dutch disclaimer move to the signature."""
    reply, _, signature = split_reply(
        "Mijn vraag.\n-- \nJan\nDit bericht is uitsluitend bestemd voor de geadresseerde."
    )
    assert reply == "Mijn vraag."
    assert signature.startswith("-- \nJan")


def test_only_a_quote_keeps_the_text():
    """A message that is nothing but a quote is shown whole rather than empty."""
    assert split_reply("> alleen geciteerd\n> meer")[0] == "> alleen geciteerd\n> meer"


def test_subject_prefixes_and_token_are_dropped():
    """Re:, AW:, Antw: and Balie's token go; the subject stays."""
    assert thread_subject("Re: AW: Antw: Paspoort [#B-12]") == "Paspoort"


def test_html_only_mail_becomes_text():
    """An HTML-only body is read as text with its line breaks; styles and scripts vanish."""
    assert html_to_text("<style>p{}</style><p>Hallo&nbsp;daar</p><p>Twee<br>regels</p>") == (
        "Hallo\xa0daar\nTwee\nregels"
    )


def test_list_mail_gets_no_auto_reply_but_is_not_automatic():
    """A List-Id marks no auto-reply; it still opens a conversation (a person wrote it)."""
    mail = parse_mail(build(headers={"List-Id": "<buurt.example>"}))
    assert (mail.automatic, mail.no_auto_reply) == ("", True)


def test_oversized_attachment_is_left_out_with_a_note():
    """An attachment above the limit is dropped with a note; the message is kept."""
    mail = parse_mail(
        build(attachments=[("groot.bin", "application/octet-stream", b"x" * 2000)]),
        max_attachment=1000,
    )
    assert mail.attachments == []
    assert "exceeds 1000 bytes" in mail.notes[0]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_parse_or_are_refused(raw):
    """Random bytes never raise anything but MailParseError (the intake then quarantines)."""
    with contextlib.suppress(MailParseError):
        parse_mail(raw)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=2000), st.binary(max_size=40))
def test_truncated_and_corrupted_mail_parses_or_is_refused(cut, junk):
    """A real message cut anywhere and with junk appended parses or is refused cleanly."""
    raw = build(
        body="Geachte heer, één vraag",
        charset="iso-8859-1",
        html="<p>x</p>",
        attachments=[("a.pdf", "application/pdf", b"%PDF")],
    )
    with contextlib.suppress(MailParseError):
        parse_mail(raw[:cut] + junk)
