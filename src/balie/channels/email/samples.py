"""Realistic citizen mail for tests, the demo and ``benchmarks/email_import.py``: pure, no Django.

:func:`build` writes one message (any charset, quoted history, attachments, automatic
headers); :func:`corpus` writes many threads with a known structure, Dutch and English.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr

DUTCH = [
    ("Paspoort verlopen", "Mijn paspoort is verlopen en ik woon in Lissabon. Kan ik een afspraak"
     " maken op de ambassade? Ik heb ook een vraag over de kosten."),
    ("Verhuizing doorgeven", "Ik ben verhuisd naar de Hoofdstraat 12 in Wijk bij Duurstede. Hoe"
     " geef ik dat door? Mijn vrouw en dochter verhuizen ook mee."),
    ("Vraag over afvalpas", "Sinds gisteren werkt mijn afvalpas niet meer bij de container. Kunt"
     " u een nieuwe pas sturen? Geüpdatete gegevens staan hieronder."),
    ("Rijbewijs in het buitenland", "Ik wil mijn rijbewijs verlengen maar ik woon tijdelijk in"
     " Spanje. Wat moet ik doen? Alvast bedankt voor uw hulp, één vraag nog over de pasfoto."),
]  # fmt: skip
ENGLISH = [
    ("Passport renewal", "My passport expires next month and I live in Toronto. How do I book"
     " an appointment at the consulate?"),
    ("Birth registration", "Our daughter was born in Sydney last week. How do we register her"
     " birth with the Dutch authorities?"),
    ("Lost ID card", "I lost my ID card while travelling in Peru. What should I do to get a"
     " replacement quickly?"),
]  # fmt: skip
CHARSETS = ["utf-8", "iso-8859-1", "windows-1252", "utf-8"]
FOLLOW_UPS = {
    "nl": ["Nog een aanvulling: ik heb de documenten bijgevoegd.", "Heeft u mijn vraag al gezien?"],
    "en": ["One more thing: I attached the documents.", "Did you see my question?"],
}
DOMAIN = "burger.example"


@dataclass
class Sample:
    """One generated message and what it should thread to."""

    message_id: str
    raw: bytes
    parent: str = ""  # the Message-ID it answers ("" for the first of a thread)
    thread: int = 0
    references: list[str] = field(default_factory=list)


def build(
    *,
    sender: str = "jan@burger.example",
    name: str = "Jan de Vries",
    to: str = "balie@gemeente.example",
    subject: str = "Vraag",
    body: str = "Hallo, ik heb een vraag.",
    message_id: str = "",
    in_reply_to: str = "",
    references: list[str] | None = None,
    charset: str = "utf-8",
    html: str = "",
    attachments: list[tuple[str, str, bytes]] | None = None,
    headers: dict[str, str] | None = None,
    date: datetime | None = None,
) -> bytes:
    """An RFC 5322 message as bytes; ``attachments`` are ``(filename, type, data)``."""
    text = MIMEText(body, "plain", charset)
    root: MIMEMultipart | MIMEText
    if html or attachments:
        root = MIMEMultipart("mixed")
        if html:
            alternative = MIMEMultipart("alternative")
            alternative.attach(text)
            alternative.attach(MIMEText(html, "html", charset))
            root.attach(alternative)
        else:
            root.attach(text)
        for filename, content_type, data in attachments or []:
            part = MIMEApplication(data, _subtype=content_type.split("/", 1)[1])
            part.replace_header("Content-Type", content_type)
            part.add_header("Content-Disposition", "attachment", filename=filename)
            root.attach(part)
    else:
        root = text
    root["From"] = formataddr((str(Header(name, charset)), sender))
    root["To"] = to
    root["Subject"] = Header(subject, charset).encode()
    root["Date"] = format_datetime(date or datetime(2026, 11, 2, 9, 30, tzinfo=UTC))
    root["Message-ID"] = message_id or f"<{secrets.token_hex(8)}@{DOMAIN}>"
    if in_reply_to:
        root["In-Reply-To"] = in_reply_to
    if references:
        root["References"] = " ".join(references)
    for key, value in (headers or {}).items():
        root[key] = value
    return root.as_bytes()


def quoted(text: str, language: str) -> str:
    """A quoted history as mail clients write it."""
    lead = (
        "Op 2 nov. 2026 om 09:30 schreef Gemeente:"
        if language == "nl"
        else ("On Mon, 2 Nov 2026 at 09:30, Gemeente wrote:")
    )
    return lead + "\n" + "\n".join(f"> {line}" for line in text.split("\n"))


def corpus(count: int, *, seed: int = 14) -> list[Sample]:
    """``count`` messages in threads of 1–5, with replies quoting what they answer,
    attachments on some, legacy charsets on others; in thread order (shuffle to test)."""
    rng = random.Random(seed)  # noqa: S311 (reproducible test data)
    samples: list[Sample] = []
    thread = 0
    while len(samples) < count:
        thread += 1
        language = "nl" if rng.random() < 0.6 else "en"
        subject, body = rng.choice(DUTCH if language == "nl" else ENGLISH)
        charset = rng.choice(CHARSETS)
        sender = f"burger{thread}@{DOMAIN}"
        name = rng.choice(["Jan de Vries", "Anaïs Müller", "Priya Shah", "Joël Dekker"])
        length = min(rng.choice([1, 1, 2, 3, 4, 5]), count - len(samples))
        chain: list[str] = []
        previous = body
        for n in range(length):
            mid = f"<t{thread}.m{n}.{rng.getrandbits(32):x}@{DOMAIN}>"
            text = (
                body
                if n == 0
                else rng.choice(FOLLOW_UPS[language]) + "\n\n" + quoted(previous, language)
            )
            attachments = (
                [("document.pdf", "application/pdf", b"%PDF-1.4 " + bytes(rng.getrandbits(8)
                  for _ in range(2000)))]
                if rng.random() < 0.15
                else None
            )  # fmt: skip
            raw = build(
                sender=sender,
                name=name,
                subject=subject if n == 0 else f"Re: {subject}",
                body=text,
                message_id=mid,
                in_reply_to=chain[-1] if chain else "",
                references=list(chain),
                charset=charset,
                attachments=attachments,
                date=datetime(2026, 11, 2, 9, 30, tzinfo=UTC) + timedelta(hours=thread, minutes=n),
            )
            samples.append(
                Sample(mid, raw, parent=chain[-1] if chain else "", thread=thread, references=chain)
            )
            chain = [*chain, mid]
            previous = text.split("\n\n")[0]
    return samples
