"""A reply as each channel takes it: WhatsApp plain text of at most 4,096 characters, no HTML;
e-mail a plain part and an HTML part made from it (escaped, paragraphs and line breaks), so
nothing a citizen or an agent typed is ever read as markup."""

from __future__ import annotations

import html
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


def as_html(text: str) -> str:
    """Plain text as a small HTML body: blank lines part paragraphs, newlines break lines."""
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "\n".join(
        "<p>" + "<br>\n".join(html.escape(line) for line in p.strip("\n").split("\n")) + "</p>"
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
