"""A reply as each channel takes it: WhatsApp plain text of at most 4,096 characters, no HTML;
e-mail a plain part and an HTML part made from it (escaped, paragraphs and line breaks, web
and e-mail addresses as links), so nothing a citizen or an agent typed is ever read as markup.
The reply's text is the whole mail: the greeting and signature the composer filled in are
part of it, so both parts carry them."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from balie.replies.library import limit_for


@dataclass(frozen=True)
class Prepared:
    """The parts of one reply for a channel, and whether it is too long for it."""

    plain: str
    html: str | None
    limit: int | None

    @property
    def too_long(self) -> bool:
        """Longer than the channel allows in one message."""
        return self.limit is not None and len(self.plain) > self.limit


#: a web address (http, https or www.) or an e-mail address in plain text
LINK = re.compile(
    r"(?P<url>\b(?:https?://|www\.)[^\s<>\"']+)"
    r"|(?P<mail>\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b)",
    re.IGNORECASE,
)
#: punctuation that ends a sentence rather than the address before it
TRAILING = ".,;:!?)]}'\""


def _link(match: re.Match[str]) -> tuple[str, str]:
    """The link's HTML and the trailing punctuation given back to the text."""
    found = match.group(0)
    if match.group("mail"):
        return f'<a href="mailto:{html.escape(found)}">{html.escape(found)}</a>', ""
    url = found.rstrip(TRAILING)
    if url.count("(") > url.count(")") and found[len(url) :].startswith(")"):
        url += ")"  # a balanced parenthesis belongs to the address (Wikipedia's links)
    rest = found[len(url) :]
    href = url if "://" in url else f"https://{url}"
    return f'<a href="{html.escape(href)}">{html.escape(url)}</a>', rest


def line_html(line: str) -> str:
    """One line escaped, with its web and e-mail addresses as links (http(s) only)."""
    out: list[str] = []
    at = 0
    for match in LINK.finditer(line):
        out.append(html.escape(line[at : match.start()]))
        link, rest = _link(match)
        out.append(link + html.escape(rest))
        at = match.end()
    out.append(html.escape(line[at:]))
    return "".join(out)


def as_html(text: str) -> str:
    """Plain text as a small HTML body: blank lines part paragraphs, newlines break lines,
    addresses become links; everything else is escaped."""
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "\n".join(
        "<p>" + "<br>\n".join(line_html(line) for line in p.strip("\n").split("\n")) + "</p>"
        for p in paragraphs
    )


def for_channel(text: str, channel_kind: str) -> Prepared:
    """``text`` prepared for ``channel_kind`` (``email``: with an HTML part)."""
    plain = text.replace("\r\n", "\n").strip()
    return Prepared(
        plain=plain,
        html=as_html(plain) if channel_kind == "email" else None,
        limit=limit_for(channel_kind),
    )
