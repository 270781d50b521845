"""A mail body as the agent reads it: sanitised HTML, HTML as text, and the citizen's words
apart from the quoted history and the signature (pure, no Django)."""

from __future__ import annotations

import html
import re

import nh3

#: where the quoted history of a reply starts (English, Dutch, Outlook, German)
QUOTE_START = re.compile(
    r"^(\s*>|On .{4,200} wrote:\s*$|Op .{4,200} (schreef|heeft .{1,80} geschreven).*:\s*$|"
    r"-{2,}\s*(Original Message|Oorspronkelijk bericht|Origineel bericht|"
    r"Ursprüngliche Nachricht|Forwarded message|Doorgestuurd bericht)\s*-{2,}|"
    r"(From|Van|Von):\s.+$|_{10,}\s*$|Am .{4,200} schrieb .*:\s*$)",
    re.I,
)
#: where a signature or disclaimer starts
SIGNATURE_START = re.compile(
    r"^(-- ?$|Verzonden vanaf mijn |Sent from my |Disclaimer\b|DISCLAIMER\b|"
    r"Dit (e-?mail)?bericht is uitsluitend bestemd|This (e-?mail|message) (and any|is intended|"
    r"may contain|contains confidential))",
    re.I,
)
HTML_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "div", "em", "font", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "small", "span",
    "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
HTML_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}


def sanitise(markup: str) -> str:
    """Mail HTML made safe to show: nh3 with a small allow-list (no styles, scripts, forms);
    images only from ``cid:`` (shown through the attachment view), links open elsewhere."""
    return nh3.clean(
        markup,
        tags=HTML_TAGS,
        attributes=HTML_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "cid"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


_BLOCK = re.compile(r"<\s*(br|/p|/div|/tr|/li|/h\d|hr)\b[^>]*>", re.I)


def html_to_text(markup: str) -> str:
    """The text of an HTML body: line breaks at block ends, tags dropped, entities decoded."""
    if not markup:
        return ""
    marked = _BLOCK.sub("\n", markup)
    text = html.unescape(nh3.clean(marked, tags=set(), clean_content_tags={"style", "script"}))
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def split_reply(text: str) -> tuple[str, str, str]:
    """``(reply, quote, signature)``: the citizen's words first; the quoted history from
    the first quote marker on; a signature or disclaimer between them."""
    lines = text.strip("\n").split("\n")
    quote_at = next((i for i, line in enumerate(lines) if QUOTE_START.match(line)), None)
    if quote_at == 0:  # it starts with a quote (a forward, an inline answer): keep it whole
        return text.strip(), "", ""
    head = lines if quote_at is None else lines[:quote_at]
    quote = "" if quote_at is None else "\n".join(lines[quote_at:]).strip()
    sig_at = next((i for i, line in enumerate(head) if i and SIGNATURE_START.match(line)), None)
    reply = "\n".join(head if sig_at is None else head[:sig_at]).strip()
    signature = "" if sig_at is None else "\n".join(head[sig_at:]).strip()
    if not reply:  # nothing of their own: show what there is rather than an empty message
        return text.strip(), "", ""
    return reply, quote, signature
